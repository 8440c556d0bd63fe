-- What every bench wrk script reports: status counts, the first failure, and one BENCH line
-- that bench/report.py reads. Loaded with dofile("bench/wrk_summary.lua") (wrk runs from the
-- repository's root, as bench/run.sh does); each script keeps `threads` (from setup) and
-- calls count_status(status, body) from its response().

statuses = {}
first_failure = nil

function count_status(status, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 300 and first_failure == nil then
      first_failure = status .. " " .. string.sub(body or "", 1, 300)
   end
end

function report(threads, summary, latency)
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
