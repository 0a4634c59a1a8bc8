using System.Text.RegularExpressions;

namespace Mediation;

/// <summary>Personal data in what is shown to someone other than the parties (a mediator's case file, logs).</summary>
public static partial class PersonalData
{
    /// <summary>Phone-number-like runs of digits keep their last two digits: "call 138 0013 8000" becomes "call ••••••••••00".</summary>
    public static string? MaskPhones(string? text) =>
        text is null ? null : PhoneLike().Replace(text, m => new string('•', m.Value.Count(char.IsAsciiDigit) - 2) + m.Value[^2..]);

    public const string MaskedAddress = "(address shown to the parties only)";

    [GeneratedRegex(@"\+?\d[\d \-().]{5,}\d")]
    private static partial Regex PhoneLike();
}
