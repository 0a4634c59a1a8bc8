using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mediation;

/// <summary>The one JSON shape of the contract: camelCase, enums as their names, absent fields omitted.</summary>
public static class MediationJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        // {"amount":1,"amount":190} is ambiguous: refused rather than taken at its last word.
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new ExactEnumConverterFactory());
        options.Converters.Add(new ExactDecimalConverter());
        return options;
    }
}

/// <summary>Enum values by exactly one of their names, in any case: no comma lists (which <c>Enum.TryParse</c> merges as flags), no numbers.</summary>
public static class ExactNames
{
    public static bool TryParse<T>(string? value, out T parsed) where T : struct, Enum
    {
        var name = Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, value, StringComparison.OrdinalIgnoreCase));
        parsed = name is null ? default : Enum.Parse<T>(name);
        return name is not null;
    }

    public static string List<T>() where T : struct, Enum => string.Join(", ", Enum.GetNames<T>());
}

/// <summary>
/// A JSON value that has the right syntax but not the right meaning for its field. The message says why in the
/// API's words ("must be one of ..."); the serializer adds where (<see cref="JsonException.Path"/>).
/// </summary>
public sealed class JsonFieldException(string why) : JsonException(why);

/// <summary>
/// Enums as exactly one of their names (any case). "Defect,Counterfeit" would be merged as flags by
/// <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/>, and numbers name nothing: both are refused.
/// </summary>
public sealed class ExactEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(ExactEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class ExactEnumConverter<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ExactNames.TryParse<T>(reader.TokenType == JsonTokenType.String ? reader.GetString() : null, out var parsed)
                ? parsed
                : throw new JsonFieldException($"must be one of {ExactNames.List<T>()}");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));

        // Roles are spelled as the identity header spells them, as every event's authorRole is.
        // Deadline kinds as the names of the deadline fields they point at ("merchantRespondBy").
        private static string Name(T value) => value switch
        {
            Role role => role.WireName(),
            DeadlineKind kind => JsonNamingPolicy.CamelCase.ConvertName(kind.ToString()),
            _ => value.ToString(),
        };

        // A dictionary key (the ledger's balances per account) is a property name, not a string token.
        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ExactNames.TryParse<T>(reader.GetString(), out var parsed)
                ? parsed
                : throw new JsonFieldException($"must be one of {ExactNames.List<T>()}");

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WritePropertyName(Name(value));
    }
}

/// <summary>
/// Decimals (all of them are money here) read only when the number in the text is exactly the number stored:
/// <c>-1e-400</c> would become 0 and a 30th decimal would be rounded away, so both are refused rather than changed.
/// </summary>
public sealed class ExactDecimalConverter : JsonConverter<decimal>
{
    private const int MaxScale = 28;
    private const int MaxDigits = 28; // a decimal holds 28 significant digits for sure; a 29th may be rounded away

    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number) throw new JsonFieldException("must be a number");
        var text = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray();
        if (!reader.TryGetDecimal(out var value) || Scale(text) is var (decimals, digits) && (decimals > MaxScale || digits > MaxDigits))
            throw new JsonFieldException("is not an amount this service can hold exactly");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);

    /// <summary>Decimals and significant digits the number in <paramref name="text"/> needs (trailing zeros do not count).</summary>
    private static (long Decimals, long Digits) Scale(byte[] text)
    {
        var mantissa = text.AsSpan().TrimStart((byte)'-');
        long exponent = 0;
        var e = mantissa.IndexOfAny((byte)'e', (byte)'E');
        if (e >= 0)
        {
            if (!long.TryParse(System.Text.Encoding.ASCII.GetString(mantissa[(e + 1)..]), out exponent) || Math.Abs(exponent) > 1000)
                return (long.MaxValue, long.MaxValue);
            mantissa = mantissa[..e];
        }
        if (mantissa.IndexOfAnyInRange((byte)'1', (byte)'9') < 0) return (0, 0); // zero needs no decimals
        var point = mantissa.IndexOf((byte)'.');
        var whole = (point < 0 ? mantissa : mantissa[..point]).TrimStart((byte)'0');
        var fraction = point < 0 ? [] : mantissa[(point + 1)..].TrimEnd((byte)'0');
        var digits = whole.Length == 0 ? fraction.TrimStart((byte)'0').Length : whole.Length + fraction.Length;
        return (fraction.Length - exponent, digits);
    }
}
