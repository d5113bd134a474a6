# QuecPython's checkNet, for the unix port: the host's network is up when the
# script runs, so waitNetworkReady reports stage 3 (data call up), state 1.
# A script that checks `stage == 3 and state == 1` runs unchanged.


def waitNetworkReady(timeout=60):
    return 3, 1


def wait_network_connected(timeout=60):
    return 3, 1
