# checkNet for the unix port: a stand-in for QuecPython's module of the same
# name, frozen into the unix test firmware so that QuecPython scripts run
# unchanged on a host. On a QuecPython module, checkNet waits for the SIM and
# the cellular data call; here the host's network is already up when the
# script runs, so every wait returns at once with stage 3 (data call up),
# state 1 (network ready). A script that checks
# `stagecode == 3 and subcode == 1` takes its "network is up" branch.
#
# What QuecPython's examples use:
#
#     import checkNet
#     checknet = checkNet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION)
#     checknet.poweron_print_once()          # the project banner, printed once
#     stagecode, subcode = checknet.wait_network_connected(30)   # (3, 1)
#
# and the module-level waitNetworkReady(timeout) / wait_network_connected(timeout).
# Nothing here looks at the host's interfaces: a broker that cannot be reached
# shows up where it would on a device, in MQTTClient.connect().

import sys

NETWORK_READY = (3, 1)


def waitNetworkReady(timeout=60):
    return NETWORK_READY


def wait_network_connected(timeout=60):
    return NETWORK_READY


def _firmware_version():
    impl = sys.implementation
    v = ".".join(str(x) for x in impl.version[:3])
    return "{} {} ({})".format(impl.name, v, sys.platform)


class CheckNetwork:
    """QuecPython's checkNet.CheckNetwork(project_name, project_version)."""

    def __init__(self, project_name, project_version):
        self.PROJECT_NAME = project_name
        self.PROJECT_VERSION = project_version
        self._printed = False

    def poweron_print_once(self):
        # QuecPython prints this banner once after power-on; here once per
        # CheckNetwork object. The lines a device adds about its modem (power-on
        # reason, SIM status) have no meaning on a host and are left out.
        if self._printed:
            return
        self._printed = True
        print("==================================================")
        print("PROJECT_NAME     : {}".format(self.PROJECT_NAME))
        print("PROJECT_VERSION  : {}".format(self.PROJECT_VERSION))
        print("FIRMWARE_VERSION : {}".format(_firmware_version()))
        print("==================================================")

    def wait_network_connected(self, timeout=60):
        """(stagecode, subcode): (3, 1) means the network is ready."""
        return NETWORK_READY
