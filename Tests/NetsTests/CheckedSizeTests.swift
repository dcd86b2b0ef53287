import Testing
@testable import Nets

@Suite("Checked sizes and generator states")
struct CheckedSizeTests {
    @Test("parameter counts that overflow are errors, not wrapped numbers")
    func overflow() throws {
        #expect(try ParameterCount.checkedMLP(inputs: 3, hidden: [4, 4], outputs: 1) == 41)
        #expect(throws: SizeError.self) { try ParameterCount.checkedMLP(inputs: Int.max, hidden: [2], outputs: 1) }
        #expect(throws: SizeError.self) { try ParameterCount.checkedMLP(inputs: 3, hidden: [1 << 32, 1 << 32], outputs: 1) }
        #expect(throws: SizeError.self) { try CheckedSize.sum(Int.max, 1, "x") }
    }

    @Test("an allocation larger than the limit is refused with the bytes it needs")
    func tooLarge() {
        #expect(throws: SizeError.tooLarge(what: "the buffer", bytes: 36_000_000_000_000, available: 8_000_000_000)) {
            try CheckedSize.requireAllocatable(bytes: 36_000_000_000_000, for: "the buffer", limit: 8_000_000_000)
        }
        #expect(SizeError.tooLarge(what: "the buffer", bytes: 36_000_000_000_000, available: 8_000_000_000).description
                == "the buffer needs 36.0 TB of memory, more than this machine's 8.0 GB")
    }

    @Test("the all-zero generator state (xoshiro's fixed point) and negative counts are refused")
    func trickStates() {
        #expect(Xoshiro256.State(words: [0, 0, 0, 0]) == nil)
        #expect(Xoshiro256.State(words: [0, 0, 0, 1]) != nil)
        var s = StateDict()
        s.words["rng"] = [0, 0, 0, 0]
        s.integers["steps"] = [-3]
        #expect(throws: StateDictError.corrupt("generator state 'rng' is all zeros")) { try s.rng("rng") }
        #expect(throws: StateDictError.corrupt("'steps' is -3; counts are never negative")) { try s.integer("steps") }
    }
}
