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
statuses = {}
first_failure = nil

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
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 300 and first_failure == nil then
      first_failure = status .. " " .. string.sub(body or "", 1, 300)
   end
end

function done(summary, latency, _)
   local counts, failure, non2xx = {}, nil, 0
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
         if status >= 300 then
            non2xx = non2xx + n
         end
      end
      failure = failure or thread:get("first_failure")
   end
   local codes = {}
   for status, n in pairs(counts) do
      table.insert(codes, status .. ":" .. n)
   end
   table.sort(codes)
   local errors = summary.errors
   local seconds = summary.duration / 1e6
   io.write("status counts: ", table.concat(codes, " "), "\n")
   io.write("non-2xx responses: ", non2xx, "\n")
   if failure then
      io.write("first non-2xx: ", failure, "\n")
   end
   io.write(string.format(
      "BENCH requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
         .. "max_ms=%.2f non2xx=%d ok=%d socket_errors=%d statuses=%s\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, non2xx, counts[200] or 0,
      errors.connect + errors.read + errors.write + errors.timeout,
      table.concat(codes, ",")))
end
