-- Race POST: create races with 20 events, multipart/form-data as RunSignup's PHP client sends.
-- BENCH_REQUESTS_FILE holds one "<path with signature>\t<race JSON>" line per request, made by
-- the harness (each signature nonce works once, so every request needs its own).
-- Thread t sends lines t, t+T, t+2T, ... and stops when its share runs out.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local boundary = "----startlinebench7MA4YWxkTrZu0gW"
local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}
local lines = nil
local index = 0

local function load_lines()
   lines = {}
   local n = 0
   for line in io.lines(os.getenv("BENCH_REQUESTS_FILE")) do
      n = n + 1
      if (n - 1) % nthreads == thread_id - 1 then table.insert(lines, line) end
   end
end

local function part(name, value)
   return "--" .. boundary .. '\r\nContent-Disposition: form-data; name="' .. name ..
      '"\r\n\r\n' .. value .. "\r\n"
end

function request()
   if lines == nil then load_lines() end
   index = index + 1
   if index > #lines or index > common.max_requests then
      wrk.thread:stop()
      index = #lines  -- resend the last one while stopping; never counted as new work
   end
   local tab = string.find(lines[index], "\t", 1, true)
   local path = string.sub(lines[index], 1, tab - 1)
   local json = string.sub(lines[index], tab + 1)
   local body = part("request_format", "json") .. part("request", json) .. "--" .. boundary .. "--\r\n"
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   if status == 200 and string.sub(body, 1, 9) == '{"error":' then common.body_error(body) end
end
