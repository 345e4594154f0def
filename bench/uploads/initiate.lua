-- wrk script: POST /v1/uploads, each request as the next of a list of users (one token a line in the
-- file given after "--"), round-robin, so concurrent requests reserve quota on different account rows.
-- Prints one machine-readable RESULT line at the end.
local tokens = {}
local next_index = 0
local body = '{"filename":"Quarterly report (final).pdf","size":1048576,"contentType":"application/pdf"}'
local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  -- threads start at different points of the list
  next_index = ((thread_id or 0) * 997) % #tokens
end

function request()
  next_index = next_index % #tokens + 1
  return wrk.format("POST", "/v1/uploads",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[next_index] }, body)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  -- requests seconds req/s p50_ms p99_ms max_ms non2xx socket_errors timeouts
  io.write(string.format("RESULT %d %.3f %.1f %.2f %.2f %.2f %d %d %d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write, e.timeout))
end
