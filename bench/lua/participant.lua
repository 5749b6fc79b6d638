-- Single upsert, POST /v1/connect/participant.
-- BENCH_MODE=insert: distinct unique_ids (thread-numbered), each a new runner.
-- BENCH_MODE=update: the BENCH_SEEDED runners "u<i>" (seeded by the harness), each pass over
-- them moving every runner to the next state.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local mode = os.getenv("BENCH_MODE") or "insert"
local token = os.getenv("BENCH_TOKEN")
-- BENCH_RACE_IDS (comma-separated, optional): thread t writes to the t-th of them, e.g. events
-- of different editions, to see whether one edition's writers queue behind each other.
local race_id = os.getenv("BENCH_RACE_ID")
local race_ids = {}
for id in string.gmatch(os.getenv("BENCH_RACE_IDS") or "", "[^,]+") do
   table.insert(race_ids, id)
end
local seeded = tonumber(os.getenv("BENCH_SEEDED") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local states = {"during", "paused", "resumed", "finished", "after", "before"}
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json",
                 ["Authorization"] = token}
local sent = 0

local function body(unique_id, number, chip, state)
   return '{"unique_id":"' .. unique_id .. '","first_name":"Runner","last_name":"Number ' ..
      number .. '","country_code":"nl","team_name":"Bench Team",' ..
      '"date_of_birth":"1990-05-17","start_number":"' .. number .. '","chip_code":"' ..
      chip .. '","gender":"female","state":"' .. state .. '","race_id":' .. race_id .. '}'
end

function request()
   if #race_ids > 0 and sent == 0 then race_id = race_ids[(thread_id - 1) % #race_ids + 1] end
   sent = sent + 1
   if sent > common.max_requests then wrk.thread:stop() end
   local b
   if mode == "insert" then
      local n = (thread_id - 1) * 1000000 + sent
      b = body("i" .. n, tostring(n), string.format("%07d", n), "before")
   else
      local per_thread = math.floor(seeded / nthreads)
      local i = (thread_id - 1) + nthreads * ((sent - 1) % per_thread)
      local pass = math.floor((sent - 1) / per_thread)
      b = body("u" .. i, tostring(i + 1), string.format("U%06d", i),
               states[(pass % #states) + 1])
   end
   return wrk.format("POST", "/v1/connect/participant", headers, b)
end

