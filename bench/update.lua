-- wrk script: the seed's update call of a dialect, round-robin over prepared invoices:
-- Winpay `PUT /api/update/{id}` (signed) or Paylink `PUT /api/merchants/{m}/invoices/{id}`.
--
-- Reads (from the environment, as written by bench/setup_invoices.py):
--   BENCH_IDS          file of "<update path> <ref>" lines (or give the path after `--`)
--   BENCH_DIALECT      winpay (default) or paylink
--   WINPAY_KEY, WINPAY_TIMESTAMP, WINPAY_SIGNATURE   one signed timestamp for the whole run
--   PAYLINK_API_KEY    for paylink
--   BENCH_OP           update (default) or find: Winpay's signed `GET /api/find/{id}` instead
-- Up to ~100,000 invoices (6 MB of ids) the requests are formatted once in init(); above that
-- (the scale run, a million invoices) each line is read from the file and formatted when
-- sent, so wrk neither holds gigabytes of requests nor spends seconds of the run reading.
-- Each body is the seed's request sample (Winpay's with that invoice's own ref, so refs stay
-- unique), so every update is valid. done() prints the status-code counts, one non-2xx body if any,
-- and a machine-readable "BENCH ..." line that bench/run.sh collects.
-- Usage: wrk -t1 -c32 -d20s --latency -s bench/update.lua http://127.0.0.1:PORT [-- ids.txt]

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

local function required(name)
   local value = os.getenv(name)
   if value == nil or value == "" then
      error(name .. " is not set (source the auth.env written by bench/setup_invoices.py)")
   end
   return value
end

local function seed_body(ref)
   return '{"customer":{"name":"Delina Prasetya","email":"[email protected]",'
      .. '"phone":"082342341"},"invoice":{"ref":"' .. ref .. '","products":'
      .. '[{"name":"01002676","qty":1,"price":260000}]},'
      .. '"back_url":"https://your-invoice-url.com"}'
end

-- seeds/paylink-update-invoice.txt, verbatim in content
local PAYLINK_SEED = '{"items":[{"description":"Web Development Services","quantity":1,'
   .. '"price":5000},{"description":"Hosting Services","quantity":1,"price":200}],'
   .. '"totalAmount":5200,"dueDate":"2024-07-31","currency":"SAR"}'

-- Files larger than this (~100,000 lines) are read as requests are sent, not in init().
local LAZY_BYTES = 6 * 1024 * 1024
local lazy = nil
local requests = {}
local lines = {}
local headers = {}
local paylink = false
local find = false
local next_request = 1
dofile("bench/wrk_summary.lua") -- statuses, first_failure, count_status, report

local function format_request(update_path, ref)
   if find then
      return wrk.format("GET", (update_path:gsub("^/api/update/", "/api/find/")), headers)
   end
   return wrk.format("PUT", update_path, headers, paylink and PAYLINK_SEED or seed_body(ref))
end

function init(args)
   local path = args[1] or required("BENCH_IDS")
   paylink = os.getenv("BENCH_DIALECT") == "paylink"
   find = os.getenv("BENCH_OP") == "find"
   if not find then
      headers["Content-Type"] = "application/json"
   end
   if paylink then
      headers["X-API-KEY"] = required("PAYLINK_API_KEY")
   else
      headers["X-Winpay-Key"] = required("WINPAY_KEY")
      headers["X-Winpay-Timestamp"] = required("WINPAY_TIMESTAMP")
      headers["X-Winpay-Signature"] = required("WINPAY_SIGNATURE")
   end
   local file = assert(io.open(path))
   local size = file:seek("end")
   if size > LAZY_BYTES then
      -- The scale run: lines read from the file as requests are sent. Reading a million
      -- lines here took 5-7 s before wrk's timer started: the server sat idle between the
      -- warm-up and the load (its checkpoints caught up), and run.sh's once-a-second
      -- CPU/RSS samples, started before wrk, ended that long before the load did.
      -- Threads start at different eighths of the file so no two update one invoice.
      lazy = file
      lazy:seek("set", (thread_index or 0) * math.floor(size / 8) % size)
      if (thread_index or 0) > 0 then
         lazy:read("*l") -- the rest of a line cut by the seek
      end
      return
   end
   file:close()
   for line in io.lines(path) do
      local update_path, ref = line:match("^(%S+)%s+(%S+)$")
      if update_path then
         table.insert(lines, { update_path, ref })
      end
   end
   if #lines == 0 then
      error("no invoice ids in " .. path)
   end
   for i, line in ipairs(lines) do
      requests[i] = format_request(line[1], line[2])
   end
   -- Threads start at different invoices so that no two updates of one invoice race.
   next_request = (thread_index or 0) * math.floor(#lines / 8) % #lines + 1
end

local function next_line()
   for _ = 1, 2 do
      local line = lazy:read("*l")
      while line do
         local update_path, ref = line:match("^(%S+)%s+(%S+)$")
         if update_path then
            return update_path, ref
         end
         line = lazy:read("*l")
      end
      lazy:seek("set", 0) -- round-robin: from the top again
   end
   error("no invoice ids in BENCH_IDS")
end

function request()
   if lazy then
      return format_request(next_line())
   end
   local i = next_request
   next_request = next_request % #lines + 1
   return requests[i]
end

function response(status, headers, body)
   count_status(status, body)
end

function done(summary, latency, _)
   report(threads, summary, latency)
end
