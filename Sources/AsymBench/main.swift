import Nets
print("asym-bench")
