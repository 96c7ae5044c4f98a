#pragma once

// The process module whole, for code that starts, watches and reaps children alike. Each piece has
// its own header; include only the one a file uses.
#include "heartbeat/process/children.hpp"       // which children we have, what /proc says of them
#include "heartbeat/process/reaper.hpp"         // reaping, waiting for exits, sweeping leftovers
#include "heartbeat/process/signals.hpp"        // the signal mask of worker threads
#include "heartbeat/process/spawn.hpp"          // starting a child in its own process group
#include "heartbeat/process/spawn_failure.hpp"  // why a child could not start, in words
