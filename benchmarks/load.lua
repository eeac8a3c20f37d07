-- wrk script of the benchmark. Arguments after `--`: mode, reader token, writer
-- token, slug prefix. Modes: health, me, list, create (one endpoint), mixed (all
-- four in turn, the soak). done() prints one line: "BENCHMARK <json>".

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode, prefix = args[1], args[4]
  non_2xx, server_errors, created, turn = 0, 0, 0, 0
  local reader = { ["Authorization"] = "Bearer " .. args[2] }
  writer = { ["Authorization"] = "Bearer " .. args[3], ["Content-Type"] = "application/json" }
  fixed = {
    health = wrk.format("GET", "/api/health"),
    me = wrk.format("GET", "/api/v1/users/me", reader),
    list = wrk.format("GET", "/api/v1/projects?limit=20", reader),
  }
end

-- A slug no earlier request used: the prefix is new for every wrk run.
local function create()
  created = created + 1
  local slug = string.format("%s-%d-%d", prefix, thread_number, created)
  local body = string.format('{"name": "Benchmark %s", "slug": "%s"}', slug, slug)
  return wrk.format("POST", "/api/v1/projects", writer, body)
end

local mix = { "health", "me", "list", "create" }

function request()
  local kind = mode
  if mode == "mixed" then
    turn = turn % #mix + 1
    kind = mix[turn]
  end
  if kind == "create" then
    return create()
  end
  return fixed[kind]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
  if status >= 500 then
    server_errors = server_errors + 1
  end
end

function done(summary, latency, requests)
  local non_2xx_total, server_errors_total = 0, 0
  for _, thread in ipairs(threads) do
    non_2xx_total = non_2xx_total + thread:get("non_2xx")
    server_errors_total = server_errors_total + thread:get("server_errors")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCHMARK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"non_2xx": %d, "server_errors": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    non_2xx_total, server_errors_total, errors.connect, errors.read, errors.write,
    errors.timeout
  ))
end
