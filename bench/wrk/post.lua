-- wrk script of bench/vs-nginx (NginxBench): posts envelopes signed beforehand, each once.
-- Arguments after "--": the requests' file (one "<Parlor-Signature>\t<body>" per line) and the
-- number of wrk threads; thread i sends lines i, i + threads, ... and starts over at the end
-- (the benchmark makes the file long enough not to, and reports it when it did).
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  local file, count = args[1], tonumber(args[2])
  requests = {}
  local line_no = 0
  for line in io.lines(file) do
    if line_no % count == id then
      local tab = line:find("\t", 1, true)
      requests[#requests + 1] = wrk.format("POST", nil,
        { ["Parlor-Signature"] = line:sub(1, tab - 1), ["Content-Type"] = "application/json" },
        line:sub(tab + 1))
    end
    line_no = line_no + 1
  end
  next_request = 0
end

function request()
  next_request = next_request + 1
  if next_request > #requests then
    next_request = 1
  end
  return requests[next_request]
end
