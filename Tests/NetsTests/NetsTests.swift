import Testing
@testable import Nets
