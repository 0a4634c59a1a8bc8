using System.Text;

namespace Mediation.Api.Evidence;

/// <summary>What a file is, decided from its first bytes.</summary>
public sealed record SniffedType(EvidenceKind Kind, string ContentType, string Extension, string Name);

/// <summary>
/// Decides the type of an upload from its content (magic bytes), never from its name or declared type. Photos
/// (JPEG, PNG, WebP), videos (MP4/QuickTime <c>ftyp</c>, WebM), PDF; anything else is plain text only when the whole
/// file is UTF-8 without control characters (see <see cref="IsPlainText"/>).
/// </summary>
public static class EvidenceSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> wants (a WebM header names its doctype within them).</summary>
    public const int HeadLength = 4096;

    public const string Accepted =
        "JPEG, PNG or WebP photos, MP4, QuickTime or WebM videos, PDF documents, or plain UTF-8 text";

    public static readonly SniffedType Jpeg = new(EvidenceKind.Photo, "image/jpeg", "jpg", "JPEG image");
    public static readonly SniffedType Png = new(EvidenceKind.Photo, "image/png", "png", "PNG image");
    public static readonly SniffedType WebP = new(EvidenceKind.Photo, "image/webp", "webp", "WebP image");
    public static readonly SniffedType Mp4 = new(EvidenceKind.Video, "video/mp4", "mp4", "MP4 video");
    public static readonly SniffedType QuickTime = new(EvidenceKind.Video, "video/quicktime", "mov", "QuickTime video");
    public static readonly SniffedType WebM = new(EvidenceKind.Video, "video/webm", "webm", "WebM video");
    public static readonly SniffedType Pdf = new(EvidenceKind.Pdf, "application/pdf", "pdf", "PDF document");
    public static readonly SniffedType Text = new(EvidenceKind.Text, "text/plain; charset=utf-8", "txt", "plain text");

    /// <summary>ISO base media files that are not videos: HEIF/AVIF still images, audio, camera raw.</summary>
    private static readonly HashSet<string> NotVideoBrands =
        ["heic", "heix", "heim", "heis", "mif1", "msf1", "avif", "avis", "M4A ", "M4B ", "M4P ", "F4A ", "F4B ", "crx "];

    /// <summary>
    /// The binary type that <paramref name="head"/> (the first <see cref="HeadLength"/> bytes or the whole file)
    /// starts with; null when it is none of them, and so either plain text or refused.
    /// </summary>
    public static SniffedType? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith<byte>([0xFF, 0xD8, 0xFF])) return Jpeg;
        if (head.StartsWith<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return Png;
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return WebP;
        if (head.StartsWith("%PDF-"u8)) return Pdf;
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(head[8..12]);
            return NotVideoBrands.Contains(brand) ? null : brand == "qt  " ? QuickTime : Mp4;
        }
        // EBML is also Matroska's container; only the WebM doctype is taken.
        if (head.StartsWith<byte>([0x1A, 0x45, 0xDF, 0xA3]) && head.IndexOf("webm"u8) > 0) return WebM;
        return null;
    }

    /// <summary>
    /// Valid UTF-8 with no control character other than tab, line feed and carriage return (C0, DEL and C1 alike):
    /// an executable, an archive or a document format fails this on its first bytes.
    /// </summary>
    public static bool IsPlainText(ReadOnlySpan<byte> content)
    {
        if (!System.Text.Unicode.Utf8.IsValid(content)) return false;
        for (var i = 0; i < content.Length; i++)
        {
            var b = content[i];
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r')) return false;
            if (b == 0x7F) return false;
            if (b == 0xC2 && i + 1 < content.Length && content[i + 1] is >= 0x80 and <= 0x9F) return false; // U+0080–U+009F
        }
        return true;
    }
}
