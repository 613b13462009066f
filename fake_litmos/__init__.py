"""A fake SAP Litmos REST API for tests, benchmarks and demos.

Start a deterministic synthetic site on a loopback port and point a client at
`server.base_url`:

    with FakeLitmos(SiteSpec(users=300)) as server:
        requests.get(f"{server.base_url}/users", headers={"apikey": server.api_key},
                     params={"source": "test", "format": "json"})
"""

from fake_litmos.faults import FAULT_KINDS, FaultSpec
from fake_litmos.mutations import Clock, Mutations
from fake_litmos.server import FakeLitmos
from fake_litmos.site import SiteSpec

__all__ = ["FAULT_KINDS", "Clock", "FakeLitmos", "FaultSpec", "Mutations", "SiteSpec"]
