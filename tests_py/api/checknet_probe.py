# checkNet as QuecPython scripts use it (firmware/unix/checkNet.py, frozen).
import checkNet

print("waitNetworkReady", checkNet.waitNetworkReady(30))
print("wait_network_connected", checkNet.wait_network_connected())
checknet = checkNet.CheckNetwork("Probe_Project", "2.5.1")
checknet.poweron_print_once()
checknet.poweron_print_once()  # once only
stagecode, subcode = checknet.wait_network_connected(30)
print("CheckNetwork.wait_network_connected", stagecode, subcode)
print("names", checknet.PROJECT_NAME, checknet.PROJECT_VERSION)
