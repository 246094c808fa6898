-- wrk script for the fixed-rate latency load: each connection waits an exponentially distributed time
-- (mean WRK_MEAN_DELAY_MS, default 10 ms) before each request, so arrivals are Poisson and spread out.
-- 20 connections x 1 request per ~10 ms ~= 2,000 requests/s (load.sh sets the mean); the achieved rate is reported.
-- (hey's -q rate limit starts every worker's ticker at the same instant, so its requests arrive in bursts of
-- one per connection, and the latency it reports is mostly the queueing of that burst.)
local mean = tonumber(os.getenv("WRK_MEAN_DELAY_MS") or "10")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + seed)
end

function delay()
  return math.floor(-mean * math.log(1 - math.random()) + 0.5)
end
