-- GET one path (BENCH_PATH); a body with an <error> or {"error": element counts as an error.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local path = os.getenv("BENCH_PATH")
local sent = 0
local req = nil

function request()
   sent = sent + 1
   if sent > common.max_requests then wrk.thread:stop() end
   if req == nil then req = wrk.format("GET", path, {["Accept"] = "*/*"}) end
   return req
end

function response(status, headers, body)
   if status == 200 and (string.find(body, "<error>", 1, true) ~= nil
         or string.sub(body, 1, 9) == '{"error":') then
      common.body_error(body)
   end
end
