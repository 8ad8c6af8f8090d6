import Testing

@Test func modelsTestsBuilds() {
    #expect(Bool(true))
}
