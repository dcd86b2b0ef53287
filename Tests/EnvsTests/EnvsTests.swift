import Testing
@testable import Envs
