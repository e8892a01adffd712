using System.Globalization;
using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>Small readers for the test bed's JSON files (missing and null values are the same thing there).</summary>
internal static class JsonRead
{
    public static JsonElement Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static bool Has(JsonElement e, string name, out JsonElement value)
    {
        value = default;
        return e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public static string? Str(JsonElement e, string name) =>
        Has(e, name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string Req(JsonElement e, string name) =>
        Str(e, name) ?? throw new InvalidDataException($"missing string \"{name}\" in {Shorten(e)}");

    public static long? Long(JsonElement e, string name) =>
        Has(e, name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    public static int? Int(JsonElement e, string name) => Long(e, name) is { } l ? checked((int)l) : null;

    public static double? Double(JsonElement e, string name) =>
        Has(e, name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static bool? Bool(JsonElement e, string name) =>
        Has(e, name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>A "0x…" string.</summary>
    public static ulong? Hex(JsonElement e, string name) => Str(e, name) is { } s ? ParseHex(s) : null;

    public static ulong ParseHex(string s) =>
        ulong.Parse(s.StartsWith("0x", StringComparison.Ordinal) ? s.AsSpan(2) : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>The elements of an array property; empty when it is missing or not an array (a failed section).</summary>
    public static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        Has(e, name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    public static IReadOnlyList<string> Strings(JsonElement e, string name) =>
        [.. Array(e, name).Select(x => x.GetString() ?? "")];

    /// <summary>The "error" of a section that failed (an object with only "error"), or null.</summary>
    public static string? Error(JsonElement e, string name) =>
        Has(e, name, out var v) && v.ValueKind == JsonValueKind.Object ? Str(v, "error") : null;

    private static string Shorten(JsonElement e)
    {
        string text = e.GetRawText();
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}
