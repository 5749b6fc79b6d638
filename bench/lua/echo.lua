-- Baseline: POST a participant-sized JSON body to the benchmark-only echo route.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local body = '{"unique_id":"runner-000123","first_name":"Runner","last_name":"Number 123",' ..
   '"country_code":"nl","team_name":"Bench Team","date_of_birth":"1990-05-17",' ..
   '"start_number":"123","chip_code":"C000123","gender":"female","state":"before",' ..
   '"race_id":1}'
local sent = 0
local req = nil

function request()
   sent = sent + 1
   if sent > common.max_requests then wrk.thread:stop() end
   if req == nil then
      req = wrk.format("POST", "/bench/echo",
         {["Content-Type"] = "application/json", ["Accept"] = "application/json"}, body)
   end
   return req
end
