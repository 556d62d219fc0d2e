"""`python -m ocpp_ingest.simulator --url ws://127.0.0.1:9000/ocpp --count 10`"""

from ocpp_ingest.simulator.fleet import main

raise SystemExit(main())
