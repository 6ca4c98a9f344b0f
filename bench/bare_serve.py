"""Serve a bare baseline from N processes the way `kefu serve --workers N` serves kefu.

    python -m bench.bare_serve bench.bare:app PORT WORKERS

Both sides must spread connections the same way for the comparison to be fair: uvicorn's own
`--workers` hands every connection a client pool opens at once to one process (see
src/kefu/web/processes.py), kefu's supervisor spreads them with SO_REUSEPORT.
"""

from __future__ import annotations

import sys

from kefu.web.processes import serve

if __name__ == "__main__":
    app, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.exit(
        serve(
            app, host="127.0.0.1", port=port, workers=workers, log_level="warning", access_log=False
        )
    )
