-- wrk script: the native API's PATCH with If-Match, round-robin over prepared invoices.
--
-- Each body is the seed's update (seeds/winpay-update-invoice.txt) in the native API's words,
-- so every PATCH is a real change. Invoices start at version 1 and only this script changes
-- them, so the n-th pass over the list sends If-Match "v{n}". Run it with ONE thread (-t1),
-- whose requests reach each invoice in order (many connections are fine), and enough
-- invoices (1000+) that one pass outlasts the slowest request.
-- Reads: BENCH_IDS (file of "<invoice id> <ref>" lines, or the path after `--`) and
-- NATIVE_API_KEY, as bench/setup_native.py writes them.
-- Usage: wrk -t1 -c32 -d10s --latency -s bench/native_patch.lua http://127.0.0.1:PORT [-- ids.txt]

local threads = {}
local ids = {}
local passes = {}
local next_index = 1
local headers = {}
dofile("bench/wrk_summary.lua") -- statuses, first_failure, count_status, report

local BODY = '{"customer":{"name":"Delina Prasetya","email":"delina@example.com",'
   .. '"phone":"082342341"},"items":[{"name":"01002676","quantity":1,'
   .. '"unit_price":260000}],"back_url":"https://your-invoice-url.com"}'

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local path = args[1] or os.getenv("BENCH_IDS")
   local key = os.getenv("NATIVE_API_KEY")
   if not path or not key then
      error("BENCH_IDS and NATIVE_API_KEY must be set (bench/setup_native.py writes them)")
   end
   for line in io.lines(path) do
      local id = line:match("^(%S+)")
      if id then
         table.insert(ids, id)
         table.insert(passes, 0)
      end
   end
   headers["Authorization"] = "Bearer " .. key
   headers["Content-Type"] = "application/merge-patch+json"
end

function request()
   local i = next_index
   next_index = next_index % #ids + 1
   passes[i] = passes[i] + 1
   headers["If-Match"] = '"v' .. passes[i] .. '"'
   return wrk.format("PATCH", "/v1/invoices/" .. ids[i], headers, BODY)
end

function response(status, _, body)
   count_status(status, body)
end

function done(summary, latency, _)
   report(threads, summary, latency)
end
