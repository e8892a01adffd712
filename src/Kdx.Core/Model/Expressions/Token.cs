namespace Kdx.Core.Model.Expressions;

/// <summary>The kinds of token of a C expression.</summary>
internal enum TokenKind : byte
{
    End,
    Number,
    Identifier,
    String,
    Punctuator,
}

/// <summary>One token: its kind, text, numeric value (for numbers) and position.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, ulong Number, bool NumberIsUnsigned, int Position)
{
    public bool Is(string punctuator) => Kind == TokenKind.Punctuator && Text == punctuator;

    public bool IsWord(string word) => Kind == TokenKind.Identifier && Text == word;
}
