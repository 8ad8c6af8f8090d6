import Testing
@testable import Ingest

@Suite struct HTMLTextTests {
    func text(_ html: String) -> String {
        String(decoding: Array(html.utf8).withUnsafeBytes { HTMLText.extract($0) }, as: UTF8.self)
    }

    @Test func stripsTagsScriptsAndComments() {
        let html = """
        <!DOCTYPE html><html><head><title>T</title><style>p { color: red }</style>
        <script type="text/javascript">var x = "<p>not text</p>";</script></head>
        <body><h1>Head&amp;line</h1><!-- hidden <b>comment</b> -->
        <p>First   <b>bold</b>
           para&nbsp;here.</p><p>Second &lt;tag&gt; &#233;&#x4E2D; &copy; &bogus;</p>
        <ul><li>one</li><li>two</li></ul>a<br>b <img src="x>y.png" alt='a>b'>c</body></html>
        """
        #expect(text(html) == "T\n\nHead&line\n\nFirst bold para here.\n\nSecond <tag> é中 © &bogus;\n\none\ntwo\n\na\nb c")
    }

    @Test func loneAngleBracketsAndUnclosedTags() {
        #expect(text("a < b and c > d") == "a < b and c > d")
        #expect(text("x <script>never closed") == "x")
        #expect(text("<p>unterminated <b") == "unterminated")
        #expect(text("&#0; &#xD800; &#1114112;") == "\u{FFFD} \u{FFFD} \u{FFFD}")
    }
}
