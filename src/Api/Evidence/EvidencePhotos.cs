using System.Reflection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.Processing;

namespace Mediation.Api.Evidence;

/// <summary>The copies made of a photo: the one others download (no location) and the thumbnail.</summary>
public sealed record PhotoCopies(byte[] Shared, byte[] Thumbnail);

/// <summary>
/// Photos are decoded (a file that only starts like an image is refused), then re-encoded twice: a copy without
/// location data for everyone but the uploader, and a small JPEG thumbnail without any metadata.
/// </summary>
public static class EvidencePhotos
{
    /// <summary>Every GPS tag ImageSharp knows (the GPS IFD and its pointer).</summary>
    public static readonly IReadOnlyList<ExifTag> GpsTags = typeof(ExifTag)
        .GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Where(p => p.Name.StartsWith("GPS", StringComparison.Ordinal) && typeof(ExifTag).IsAssignableFrom(p.PropertyType))
        .Select(p => (ExifTag)p.GetValue(null)!)
        .ToList();

    /// <summary>Only the accepted formats' decoders: no other image parser ever sees an upload.</summary>
    private static readonly Configuration Decoders =
        new(new JpegConfigurationModule(), new PngConfigurationModule(), new WebpConfigurationModule());

    public static PhotoCopies Process(Stream photo, SniffedType type, EvidenceOptions options)
    {
        var info = Identify(photo, type);
        if ((long)info.Width * info.Height > options.MaxPhotoPixels)
            throw UploadRefusedException.TooLarge(
                $"the photo is {info.Width}×{info.Height} pixels; the limit is {options.MaxPhotoPixels / 1_000_000} megapixels");

        photo.Position = 0;
        using var image = Load(photo, type);
        return new PhotoCopies(Shared(image, type), Thumbnail(image, options.ThumbnailSize));
    }

    /// <summary>The same picture and metadata (date taken, camera, orientation), less anything that says where.</summary>
    private static byte[] Shared(Image image, SniffedType type)
    {
        using var copy = image.Clone(_ => { });
        RemoveLocation(copy);
        using var output = new MemoryStream();
        copy.Save(output, EncoderFor(type));
        return output.ToArray();
    }

    public static void RemoveLocation(Image image)
    {
        if (image.Metadata.ExifProfile is { } exif)
        {
            foreach (var tag in GpsTags) exif.RemoveValue(tag);
            exif.Parts &= ~ExifParts.GpsTags;
        }
        // XMP and IPTC can name a place too (exif:GPSLatitude, city, sub-location); they carry nothing else we keep.
        image.Metadata.XmpProfile = null;
        image.Metadata.IptcProfile = null;
    }

    private static byte[] Thumbnail(Image image, int size)
    {
        using var thumbnail = image.Clone(x =>
        {
            x.AutoOrient();
            var current = x.GetCurrentSize();
            if (current.Width > size || current.Height > size)
                x.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Max });
        });
        thumbnail.Metadata.ExifProfile = null;
        thumbnail.Metadata.XmpProfile = null;
        thumbnail.Metadata.IptcProfile = null;
        thumbnail.Metadata.IccProfile = null;
        using var output = new MemoryStream();
        thumbnail.Save(output, new JpegEncoder { Quality = 75 });
        return output.ToArray();
    }

    private static IImageInfo Identify(Stream photo, SniffedType type)
    {
        try
        {
            return Image.Identify(Decoders, photo) ?? throw Unreadable(type);
        }
        catch (Exception e) when (DecoderGaveUp(e))
        {
            throw Unreadable(type);
        }
    }

    private static Image Load(Stream photo, SniffedType type)
    {
        try
        {
            var image = Image.Load(Decoders, photo, out var format);
            if (!format.MimeTypes.Contains(type.ContentType, StringComparer.OrdinalIgnoreCase))
            {
                image.Dispose();
                throw Unreadable(type);
            }
            return image;
        }
        catch (Exception e) when (DecoderGaveUp(e))
        {
            throw Unreadable(type);
        }
    }

    private static IImageEncoder EncoderFor(SniffedType type) => type.ContentType switch
    {
        "image/png" => new PngEncoder(),
        "image/webp" => new WebpEncoder { Quality = 90 },
        _ => new JpegEncoder { Quality = 90 },
    };

    /// <summary>
    /// A decoder that fails on a crafted file, in its own words or by crashing (ImageSharp's JPEG decoder throws a
    /// NullReferenceException on a JFIF header followed by zeros), read a file that is not a photo: a 415, not a 500.
    /// </summary>
    private static bool DecoderGaveUp(Exception e) => e is not OperationCanceledException;

    private static UploadRefusedException Unreadable(SniffedType type) =>
        UploadRefusedException.Unsupported($"the file starts like a {type.Name} but cannot be read as one");
}
