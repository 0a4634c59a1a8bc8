using System.Text.RegularExpressions;

namespace Mediation;

/// <summary>Personal data in what is shown to someone other than its owner (the other party, a mediator's case file, logs).</summary>
public static partial class PersonalData
{
    /// <summary>Phone-number-like runs of digits keep their last two digits: "call 138 0013 8000" becomes "call ••••••••••00".</summary>
    public static string? MaskPhones(string? text) =>
        text is null ? null : PhoneLike().Replace(text, m =>
            // A date (2026-11-26) or a short number is not a phone; seven digits is the shortest local number.
            IsoDate().IsMatch(m.Value) || m.Value.Count(char.IsAsciiDigit) < 7 ? m.Value
                : new string('•', m.Value.Count(char.IsAsciiDigit) - 2) + m.Value[^2..]);

    /// <summary>
    /// Street addresses written into a text ("88 Nanshan Road", "西湖区南山路88号") become <see cref="MaskedAddress"/>.
    /// A heuristic: a house number with a street word, in English or Chinese.
    /// </summary>
    public static string? MaskAddresses(string? text) =>
        text is null ? null : ChineseAddress().Replace(EnglishAddress().Replace(text, MaskedAddress), MaskedAddress);

    /// <summary>Phones and addresses masked.</summary>
    public static string? Mask(string? text) => MaskAddresses(MaskPhones(text));

    public const string MaskedAddress = "(address shown to the parties only)";

    // A run of digits standing alone: not part of an id or a word ("m-3327068fa2", "o1234567" are not phones).
    [GeneratedRegex(@"(?<![A-Za-z0-9-])\+?\d[\d \-().]{5,}\d(?![A-Za-z0-9])")]
    private static partial Regex PhoneLike();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b\d{1,5}[A-Za-z]?(,?\s+[A-Z][\w'.-]*){1,4}\s+(Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Square|Sq)\b\.?(\s*,?\s*(Apt|Flat|Unit|Room|Suite)\.?\s*[\w-]+)?")]
    private static partial Regex EnglishAddress();

    [GeneratedRegex(@"[\u4e00-\u9fff]{0,12}(路|街|道|巷|弄|大道)\s*\d+\s*(号|號)([\u4e00-\u9fff\d\-]{0,12}(室|楼|栋|單元|单元))?")]
    private static partial Regex ChineseAddress();
}
