import Foundation
import Testing
@testable import Envs

@Suite("Perlin noise (port of noise 1.2.2 pnoise1)")
struct PerlinTests {
    /// Values quoted in reference/rl-facts.md §1, computed with the `noise` package.
    @Test("matches the reference values in rl-facts.md", arguments: [
        (0.25, 1, 0.686132848), (0.5, 1, 0.699999988), (0.5, 4, 0.373333335), (1.3, 4, 0.043595146),
        (7.77, 4, 0.149263576), (100.5, 4, 0.160000011), (12345.67, 4, 0.260600179),
        (98765.43, 4, 0.140629455),
    ])
    func referenceValues(x: Double, octaves: Int, expected: Double) {
        let value = Double(Perlin.pnoise1(Float(x), octaves: octaves))
        #expect(abs(value - expected) < 1e-8, "pnoise1(\(x), \(octaves)) = \(value), expected \(expected)")
    }

    struct Values: Decodable {
        struct Point: Decodable { let x: Double; let octaves: Int; let value: Double }
        let values: [Point]
    }

    @Test("is bit-identical to the C library on every fixture point")
    func fixtureValuesExact() throws {
        let points = try JSONDecoder().decode(Values.self, from: fixtureData("pnoise1")).values
        #expect(points.count >= 40)
        for p in points {
            // The C code returns a float widened to double: the port must give the same Float.
            let value = Perlin.pnoise1(Float(p.x), octaves: p.octaves)
            #expect(Double(value) == p.value, "pnoise1(\(p.x), \(p.octaves)) = \(value), expected \(p.value)")
        }
    }

    @Test("the gradient quirk: a set bit 3 gives -1, not -g")
    func gradientQuirk() {
        #expect(Perlin.grad1(8 | 5, 0.5) == -0.5)     // textbook Perlin would give -(5+1)·0.5
        #expect(Perlin.grad1(5, 0.5) == 3.0)
    }

    @Test("never traps on inputs beyond Int32 or NaN")
    func extremeInputs() {
        _ = Perlin.pnoise1(3e9, octaves: 4)
        _ = Perlin.pnoise1(-3e9, octaves: 4)
        _ = Perlin.pnoise1(.nan, octaves: 4)
        #expect(Perlin.pnoise1(0, octaves: 4) == 0)
    }
}
