"""`python -m fake_litmos` starts a server, serves, and stops on SIGTERM."""

import signal
import subprocess
import sys

import requests


def test_the_cli_prints_the_base_url_and_serves_until_sigterm():
    command = [
        sys.executable,
        "-m",
        "fake_litmos",
        "--port",
        "0",
        "--users",
        "60",
        "--teams",
        "3",
        "--courses",
        "2",
        "--seed",
        "3",
        "--api-key",
        "demo-key",
        "--rate-limit",
        "50",
        "--over-delivery",
        "2",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/v1.svc")

            response = requests.get(
                base_url + "/users",
                params={"source": "cli-test", "format": "json", "limit": 10},
                headers={"apikey": "demo-key"},
                timeout=10,
            )
            assert response.status_code == 200
            assert len(response.json()) == 12

            control = base_url.removesuffix("/v1.svc") + "/_control/counters"
            assert requests.get(control, timeout=10).json()["requests_total"] == 1
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0


def test_the_cli_rejects_bad_options():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fake_litmos",
            "--fault-rate",
            "0.5",
            "--fault-kinds",
            "x",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault kinds" in result.stderr
