//! A JSON reader with the syntax rules of Go's `encoding/json` (Go 1.19,
//! the Go of Engine 20.10): RFC 8259 exactly (no comments, no trailing
//! commas, no leading zeros, whitespace only space, tab, CR and LF), at
//! most 10 000 nested arrays and objects, and strings unescaped as Go
//! unescapes them: a `\u` escape of a lone or misordered UTF-16 surrogate
//! becomes U+FFFD instead of failing.
//!
//! Owns: tokens, their syntax, string unescaping, skipping a value of any
//! depth without recursion. Must not: know the plugin config; decoding into
//! Go types is `decode`'s.

/// Go's `maxNestingDepth`: arrays and objects nested deeper are a syntax
/// error ("exceeded max depth").
pub const MAX_DEPTH: usize = 10_000;

/// A syntax error: Go's words for it, and the byte offset where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, e.g. `invalid character 'x' looking for beginning of value`.
    pub message: String,
    /// Where, in bytes from the start.
    pub offset: usize,
}

/// The kind of the value that starts at the reader's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `{`
    Object,
    /// `[`
    Array,
    /// `"`
    String,
    /// `-` or a digit.
    Number,
    /// `t`
    True,
    /// `f`
    False,
    /// `n`
    Null,
}

impl Token {
    /// The token as a type error names it.
    pub fn describe(self) -> &'static str {
        match self {
            Token::Object => "an object",
            Token::Array => "an array",
            Token::String => "a string",
            Token::Number => "a number",
            Token::True => "true",
            Token::False => "false",
            Token::Null => "null",
        }
    }
}

/// A cursor over a JSON document.
pub struct Reader<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, SyntaxError>;

impl<'a> Reader<'a> {
    /// A reader at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn byte(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The error for what is at the position, in Go's words: `invalid
    /// character 'x' {context}`, or the end of the input.
    fn error(&self, context: &str) -> SyntaxError {
        let message = match self.src[self.pos..].chars().next() {
            None => "unexpected end of JSON input".to_string(),
            Some(c) => format!("invalid character {c:?} {context}"),
        };
        SyntaxError {
            message,
            offset: self.pos,
        }
    }

    /// Skips whitespace and says which value starts there.
    pub fn peek(&mut self) -> Result<Token> {
        self.whitespace();
        Ok(match self.byte() {
            Some(b'{') => Token::Object,
            Some(b'[') => Token::Array,
            Some(b'"') => Token::String,
            Some(b'-' | b'0'..=b'9') => Token::Number,
            Some(b't') => Token::True,
            Some(b'f') => Token::False,
            Some(b'n') => Token::Null,
            _ => return Err(self.error("looking for beginning of value")),
        })
    }

    /// After the top-level value: nothing but whitespace.
    pub fn finish(&mut self) -> Result<()> {
        self.whitespace();
        match self.byte() {
            None => Ok(()),
            Some(_) => Err(self.error("after top-level value")),
        }
    }

    fn expect(&mut self, byte: u8, context: &str) -> Result<()> {
        if self.byte() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(context))
        }
    }

    fn open(&mut self) -> Result<()> {
        if self.depth == MAX_DEPTH {
            return Err(SyntaxError {
                message: "exceeded max depth".into(),
                offset: self.pos,
            });
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// A string, at the position, as its raw text between the quotes
    /// (escapes left as written), checked as [`Self::string`] checks it.
    pub fn raw_string(&mut self) -> Result<&'a str> {
        self.peek()?;
        let start = self.pos;
        self.string()?;
        Ok(&self.src[start + 1..self.pos - 1])
    }

    /// `true`, `false` or `null`, at the position.
    pub fn literal(&mut self) -> Result<Token> {
        let token = self.peek()?;
        let word = match token {
            Token::True => "true",
            Token::False => "false",
            Token::Null => "null",
            _ => unreachable!("literal() is called at a literal"),
        };
        for expected in word.bytes() {
            if self.byte() != Some(expected) {
                return Err(self.error(&format!(
                    "in literal {word} (expecting {:?})",
                    expected as char
                )));
            }
            self.pos += 1;
        }
        Ok(token)
    }

    /// A number at the position, as written (Go's grammar:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    pub fn number(&mut self) -> Result<&'a str> {
        self.whitespace();
        let start = self.pos;
        if self.byte() == Some(b'-') {
            self.pos += 1;
        }
        match self.byte() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("in numeric literal")),
        }
        if self.byte() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.byte(), Some(b'0'..=b'9')) {
                return Err(self.error("after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.byte(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.byte(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.byte(), Some(b'0'..=b'9')) {
                return Err(self.error("in exponent of numeric literal"));
            }
            self.digits();
        }
        Ok(&self.src[start..self.pos])
    }

    fn digits(&mut self) {
        while matches!(self.byte(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    /// A string at the position, unescaped as Go unescapes it.
    pub fn string(&mut self) -> Result<String> {
        self.whitespace();
        self.expect(b'"', "looking for beginning of value")?;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while matches!(self.byte(), Some(b) if b >= 0x20 && b != b'"' && b != b'\\') {
                self.pos += 1;
            }
            // Only ASCII bytes stop the run: the slice is on char boundaries.
            out.push_str(&self.src[start..self.pos]);
            match self.byte() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                _ => return Err(self.error("in string literal")),
            }
        }
    }

    /// The escape after a `\`.
    fn escape(&mut self, out: &mut String) -> Result<()> {
        let c = match self.byte() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                out.push(self.code_point(unit));
                return Ok(());
            }
            _ => return Err(self.error("in string escape code")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    /// Four hex digits at the position.
    fn hex4(&mut self) -> Result<u32> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = match self.byte() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("in \\u hexadecimal character escape")),
            };
            value = value * 16 + u32::from(digit);
            self.pos += 1;
        }
        Ok(value)
    }

    /// The character of the UTF-16 code unit `unit` just read: a high
    /// surrogate takes the low one of a following `\uXXXX` with it; any
    /// other surrogate is U+FFFD, and what follows is read on its own
    /// (Go's `unquote`).
    fn code_point(&mut self, unit: u32) -> char {
        if !(0xD800..0xE000).contains(&unit) {
            return char::from_u32(unit).expect("not a surrogate");
        }
        if unit < 0xDC00 {
            let next = self.pos;
            if self.bytes().get(next..next + 2) == Some(b"\\u") {
                self.pos += 2;
                match self.hex4() {
                    Ok(low @ 0xDC00..0xE000) => {
                        let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        return char::from_u32(c).expect("a surrogate pair is a character");
                    }
                    // Not a low surrogate (or not hex: that escape then
                    // fails when it is read on its own).
                    _ => self.pos = next,
                }
            }
        }
        char::REPLACEMENT_CHARACTER
    }

    /// The members of an object at the position: `member` gets each key
    /// (unescaped) and must read its value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, String) -> Result<()>,
    ) -> Result<()> {
        self.whitespace();
        self.open()?;
        self.whitespace();
        if self.byte() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.whitespace();
            if self.byte() != Some(b'"') {
                return Err(self.error("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.whitespace();
            self.expect(b':', "after object key")?;
            member(self, key)?;
            self.whitespace();
            match self.byte() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.error("after object key:value pair")),
            }
        }
    }

    /// The elements of an array at the position: `element` must read each.
    pub fn array(&mut self, mut element: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.whitespace();
        self.open()?;
        self.whitespace();
        if self.byte() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            element(self)?;
            self.whitespace();
            match self.byte() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.error("after array element")),
            }
        }
    }

    /// Reads past the value at the position, checking its syntax, however
    /// deep it is (no recursion: an explicit stack of open containers).
    pub fn skip(&mut self) -> Result<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value starts here.
            match self.peek()? {
                Token::String => {
                    self.string()?;
                }
                Token::Number => {
                    self.number()?;
                }
                Token::True | Token::False | Token::Null => {
                    self.literal()?;
                }
                Token::Object => {
                    self.open()?;
                    open.push(b'{');
                    self.whitespace();
                    if self.byte() == Some(b'}') {
                        self.pos += 1;
                        self.depth -= 1;
                        open.pop();
                    } else {
                        self.key()?;
                        continue;
                    }
                }
                Token::Array => {
                    self.open()?;
                    open.push(b'[');
                    self.whitespace();
                    if self.byte() == Some(b']') {
                        self.pos += 1;
                        self.depth -= 1;
                        open.pop();
                    } else {
                        continue;
                    }
                }
            }
            // A value ended: close what it ends, up to where another starts.
            loop {
                let Some(&container) = open.last() else {
                    return Ok(());
                };
                self.whitespace();
                let (close, context) = if container == b'{' {
                    (b'}', "after object key:value pair")
                } else {
                    (b']', "after array element")
                };
                match self.byte() {
                    Some(b',') => {
                        self.pos += 1;
                        if container == b'{' {
                            self.key()?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        self.depth -= 1;
                        open.pop();
                    }
                    _ => return Err(self.error(context)),
                }
            }
        }
    }

    /// An object key and its colon, inside [`Reader::skip`].
    fn key(&mut self) -> Result<()> {
        self.whitespace();
        if self.byte() != Some(b'"') {
            return Err(self.error("looking for beginning of object key string"));
        }
        self.string()?;
        self.whitespace();
        self.expect(b':', "after object key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(src: &str) -> Result<String> {
        Reader::new(src).string()
    }

    fn skipped(src: &str) -> Result<()> {
        let mut r = Reader::new(src);
        r.skip()?;
        r.finish()
    }

    #[test]
    fn strings_unescape_as_go_does() {
        assert_eq!(
            string(r#""a\"\\\/\b\f\n\r\t""#).unwrap(),
            "a\"\\/\u{8}\u{c}\n\r\t"
        );
        assert_eq!(string(r#""\u0041\u00e9""#).unwrap(), "Aé");
        assert_eq!(string(r#""\ud83d\ude00""#).unwrap(), "😀");
        assert_eq!(string(r#""\ud800x""#).unwrap(), "\u{fffd}x");
        assert_eq!(string(r#""\udc00\ud800""#).unwrap(), "\u{fffd}\u{fffd}");
        assert_eq!(string(r#""\ud800\u0041""#).unwrap(), "\u{fffd}A");
        assert_eq!(string(r#""\ud800\ud83d\ude00""#).unwrap(), "\u{fffd}😀");
        assert_eq!(string("\"é ünï\"").unwrap(), "é ünï");
    }

    #[test]
    fn strings_refuse_what_go_refuses() {
        for (src, message) in [
            ("\"a\u{1}\"", "invalid character '\\u{1}' in string literal"),
            (r#""\x""#, "invalid character 'x' in string escape code"),
            (
                r#""\u12g4""#,
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            (
                r#""\ud800\u12g4""#,
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            ("\"abc", "unexpected end of JSON input"),
        ] {
            assert_eq!(string(src).unwrap_err().message, message, "{src}");
        }
    }

    #[test]
    fn numbers_follow_gos_grammar() {
        for ok in ["0", "-0", "12", "1.5", "1e9", "1E+2", "-1.25e-3"] {
            let mut r = Reader::new(ok);
            assert_eq!(r.number().unwrap(), ok);
        }
        for (bad, rest) in [("01", "1"), ("1.5.", "."), ("-1x", "x")] {
            let mut r = Reader::new(bad);
            let n = r.number().unwrap();
            assert_eq!(&bad[n.len()..], rest);
        }
        for bad in ["-", "1.", "1e", "-x", ".5", "1.e3"] {
            assert!(skipped(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn skipping_checks_the_syntax_of_any_value() {
        for ok in [
            "{}",
            "[]",
            r#"{"a":[1,{"b":null},"c",true,false],"d":{}}"#,
            " [ 1 , [ ] , { } ] ",
        ] {
            skipped(ok).unwrap();
        }
        for (bad, message) in [
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (
                r#"{"a":1,}"#,
                "invalid character '}' looking for beginning of object key string",
            ),
            (r#"{"a" 1}"#, "invalid character '1' after object key"),
            (
                r#"{"a":1 "b":2}"#,
                "invalid character '\"' after object key:value pair",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            ("tru", "unexpected end of JSON input"),
            (
                "trux",
                "invalid character 'x' in literal true (expecting 'e')",
            ),
            ("nul", "unexpected end of JSON input"),
            ("[1] x", "invalid character 'x' after top-level value"),
            ("", "unexpected end of JSON input"),
            (
                "\u{feff}{}",
                "invalid character '\\u{feff}' looking for beginning of value",
            ),
            (
                "/* c */ {}",
                "invalid character '/' looking for beginning of value",
            ),
            (
                "\u{b}{}",
                "invalid character '\\u{b}' looking for beginning of value",
            ),
        ] {
            assert_eq!(skipped(bad).unwrap_err().message, message, "{bad:?}");
        }
    }

    #[test]
    fn nesting_stops_at_gos_maximum_depth() {
        let deepest = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        skipped(&deepest).unwrap();
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = skipped(&deeper).unwrap_err();
        assert_eq!(e.message, "exceeded max depth");
        assert_eq!(e.offset, MAX_DEPTH);
        let objects = r#"{"a":"#.repeat(MAX_DEPTH) + "1" + &"}".repeat(MAX_DEPTH);
        skipped(&objects).unwrap();
    }
}
