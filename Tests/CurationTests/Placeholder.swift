import Testing

@Test func curationTestsBuilds() {
    #expect(Bool(true))
}
