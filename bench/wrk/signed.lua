-- wrk script: replay pre-signed webhook requests from a file, each once, in order.
-- Usage: wrk -t N -s bench/wrk/signed.lua URL -- REQUEST_FILE N
-- Each line of REQUEST_FILE is "<X-Hub-Signature-256 value>\t<body>". Thread k of n takes
-- lines k, k+n, ... so no two threads send the same body. done() prints one JSON line.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local path = args[1]
  local requests = {}
  local n = 0
  local total = tonumber(args[2]) or 1
  local line_no = 0
  for line in io.lines(path) do
    if line_no % total == id then
      local tab = string.find(line, "\t", 1, true)
      local signature = string.sub(line, 1, tab - 1)
      local body = string.sub(line, tab + 1)
      n = n + 1
      requests[n] = wrk.format("POST", wrk.path, {
        ["Content-Type"] = "application/json",
        ["X-Hub-Signature-256"] = signature,
      }, body)
    end
    line_no = line_no + 1
  end
  wrk_requests = requests
  wrk_count = n
  wrk_next = 0
end

function request()
  wrk_next = wrk_next + 1
  if wrk_next > wrk_count then
    wrk_next = 1 -- wrapped: later bodies are redeliveries (the bench reports it)
  end
  return wrk_requests[wrk_next]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
