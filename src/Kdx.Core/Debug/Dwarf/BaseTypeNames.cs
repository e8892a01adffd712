namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// C lets one integer type be spelled many ways ("unsigned long", "long unsigned int"); gcc names
/// base types in one spelling. This maps a spelling to gcc's, so "unsigned long" finds the DWARF
/// base type "long unsigned int".
/// </summary>
internal static class BaseTypeNames
{
    /// <summary>gcc's spelling of an integer type name, or null when the name is not such a spelling.</summary>
    public static string? GccSpelling(string name)
    {
        int longs = 0;
        bool signed = false, unsigned = false, isShort = false, isChar = false, isInt = false;
        foreach (var word in name.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (word)
            {
                case "long":
                    longs++;
                    break;
                case "signed":
                    signed = true;
                    break;
                case "unsigned":
                    unsigned = true;
                    break;
                case "short":
                    isShort = true;
                    break;
                case "char":
                    isChar = true;
                    break;
                case "int":
                    isInt = true;
                    break;
                default:
                    return null;
            }
        }

        if ((signed && unsigned) || longs > 2 || (isShort && (longs > 0 || isChar)) || (isChar && (longs > 0 || isInt)))
        {
            return null;
        }

        if (isChar)
        {
            return unsigned ? "unsigned char" : signed ? "signed char" : "char";
        }

        string size = isShort ? "short " : longs == 2 ? "long long " : longs == 1 ? "long " : string.Empty;
        if (size.Length == 0)
        {
            return unsigned ? "unsigned int" : "int";
        }

        return size + (unsigned ? "unsigned int" : "int");
    }
}
