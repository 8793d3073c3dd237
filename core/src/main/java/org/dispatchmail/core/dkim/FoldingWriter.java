package org.dispatchmail.core.dkim;

/**
 * Writes one header field folded so that no line passes {@value #MAX_LINE} characters (RFC 5322 §2.1.1): a line break
 * is always CRLF followed by a space, so unfolding gives the text back with whitespace where the breaks were. A word
 * that is longer than a line by itself (a d= domain of more than 74 characters) gets a line of its own and passes
 * the limit, which RFC 5322 allows (its hard limit is 998).
 */
final class FoldingWriter {

    static final int MAX_LINE = 78;
    private static final String BREAK = "\r\n ";

    private final StringBuilder text = new StringBuilder(512);
    private int column;

    FoldingWriter(String fieldName) {
        text.append(fieldName).append(':');
        column = fieldName.length() + 1;
    }

    /** A space and the word, or a line break and the word when the word would pass the limit. */
    void word(String word) {
        if (column + 1 + word.length() > MAX_LINE) {
            text.append(BREAK);
            column = 1;
        } else {
            text.append(' ');
            column++;
        }
        append(word);
    }

    /** The piece right after the text before it, or after a line break when it would pass the limit. */
    void piece(String piece) {
        if (column + piece.length() > MAX_LINE) {
            text.append(BREAK);
            column = 1;
        }
        append(piece);
    }

    /** Text that may be broken anywhere, such as base64: each line is filled up to the limit. */
    void breakable(String value) {
        int at = 0;
        while (at < value.length()) {
            if (column >= MAX_LINE) {
                text.append(BREAK);
                column = 1;
            }
            int take = Math.min(value.length() - at, MAX_LINE - column);
            append(value.substring(at, at + take));
            at += take;
        }
    }

    /** The field written so far, without a final CRLF. */
    String text() {
        return text.toString();
    }

    private void append(String s) {
        text.append(s);
        column += s.length();
    }
}
