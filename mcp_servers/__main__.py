"""``python -m mcp_servers mcp ...``: the same parser ``lynkr mcp`` uses."""

import sys

from mcp_servers.cli import main

sys.exit(main())
