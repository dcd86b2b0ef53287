// Pipeline: YAML → stage graph → executors (see DESIGN.md).
import Agents
import Store
import Report
