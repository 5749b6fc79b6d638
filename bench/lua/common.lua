-- Shared by every bench script: thread numbering, a per-thread request cap, the error count
-- of response bodies, and the JSON line the harness reads (see bench/wrk.py).
local common = {}

local threads = {}
local next_id = 0

function common.setup(thread)
   next_id = next_id + 1
   thread:set("thread_id", next_id)
   table.insert(threads, thread)
end

-- Per-thread cap on requests so every loop is bounded in count as well as time.
common.max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "1000000")

-- Called from a script's response(): an error the API reports inside a 200 (RunSignup).
function common.body_error(body)
   body_errors = (body_errors or 0) + 1
   if first_error == nil then first_error = string.sub(body, 1, 300) end
end

function common.done(summary, latency, requests)
   local body_errors = 0
   for _, thread in ipairs(threads) do
      body_errors = body_errors + (thread:get("body_errors") or 0)
      local first = thread:get("first_error")
      if first ~= nil then
         io.write("BENCH_ERR " .. string.gsub(first, "[\r\n]", " ") .. "\n")
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"mean_us": %f, "max_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
      '"status": %d, "timeout": %d, "body": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout, body_errors))
end

return common
