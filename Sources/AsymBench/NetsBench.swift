func benchNets() {}
