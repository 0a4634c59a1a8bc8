using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mediation.Api.Evidence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Mediation.Api.Tests;

/// <summary>
/// Evidence over HTTP against the real app: the type comes from the bytes, limits hold, a photo's location never
/// reaches the other party, and a refused upload leaves nothing behind (timeline and evidence folder unchanged).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class EvidenceTests(ApiFixture fixture)
{
    public const string PlaceMarker = "GPS-MARKER-WEST-LAKE";

    [Fact]
    public async Task A_renamed_executable_is_refused_and_leaves_nothing_behind()
    {
        var (s, disputeId) = await OpenAsync();
        var before = await s.TimelineAsync(disputeId);
        var executable = Executable();

        var response = await UploadAsync(s.Consumer, disputeId, executable, "receipt.jpg", "image/jpeg");

        var detail = await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("not a type accepted as evidence", detail);
        Assert.Contains("JPEG, PNG or WebP photos", detail);
        Assert.Contains("not from the file name", detail);
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    [Fact]
    public async Task A_file_larger_than_10_MB_is_refused_and_leaves_nothing_behind()
    {
        var (s, disputeId) = await OpenAsync();
        var before = await s.TimelineAsync(disputeId);
        var oversized = new byte[10 * 1024 * 1024 + 1];
        Jpeg(withLocation: false).AsSpan(0, 1024).CopyTo(oversized); // a JPEG's header: a photo, whose limit is 10 MB

        var response = await UploadAsync(s.Consumer, disputeId, oversized, "big.jpg", "image/jpeg");

        var detail = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("JPEG image is larger than the limit: 10 MB for photos, PDFs and text, 50 MB for videos", detail);
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    [Fact]
    public async Task An_empty_file_is_refused_and_leaves_nothing_behind()
    {
        var (s, disputeId) = await OpenAsync();
        var before = await s.TimelineAsync(disputeId);

        var response = await UploadAsync(s.Merchant, disputeId, [], "photo.jpg", "image/jpeg");

        Assert.Equal("the file is empty", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    [Fact]
    public async Task A_file_that_only_starts_like_a_JPEG_is_refused_and_leaves_nothing_behind()
    {
        var (s, disputeId) = await OpenAsync();
        var before = await s.TimelineAsync(disputeId);
        var fake = new byte[5000];
        new Random(1).NextBytes(fake);
        fake[0] = 0xFF; fake[1] = 0xD8; fake[2] = 0xFF;

        var response = await UploadAsync(s.Consumer, disputeId, fake, "photo.jpg", "image/jpeg");

        Assert.Equal("the file starts like a JPEG image but cannot be read as one", await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType));
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    [Fact]
    public async Task A_valid_JPEG_is_stored_with_its_hash_and_the_other_party_downloads_it_without_its_GPS_location()
    {
        var (s, disputeId) = await OpenAsync();
        var photo = Jpeg(withLocation: true);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(photo));
        Assert.NotEmpty(GpsValues(photo)); // the upload does carry a location
        Assert.Contains(PlaceMarker, Encoding.ASCII.GetString(photo));

        // Named and declared as something else: the content decides.
        var added = await Scenario.EventAsync(await UploadAsync(s.Consumer, disputeId, photo, "notes.txt", "text/plain"));

        Assert.Equal(DisputeEventType.EvidenceAdded, added.Type);
        var evidence = added.Evidence!;
        Assert.Equal(new EvidenceInfo(evidence.EvidenceId, EvidenceKind.Photo, "image/jpeg", photo.Length, sha256, s.ConsumerId, "consumer", HasThumbnail: true), evidence);
        Assert.Matches("^ev-[0-9a-f]{16}$", evidence.EvidenceId);
        Assert.Contains(await s.TimelineAsync(disputeId, s.Merchant), e => e.Type == DisputeEventType.EvidenceAdded && e.Evidence == evidence);

        // Stored durably under its hash, byte for byte.
        var stored = Path.Combine(fixture.Factory.DataDirectory, "evidence", disputeId, $"{sha256}.original");
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(stored))));

        // The uploader gets the original back.
        var mine = await s.Consumer.GetAsync($"/api/disputes/{disputeId}/evidence/{evidence.EvidenceId}");
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal(photo, await mine.Content.ReadAsByteArrayAsync());

        // The merchant gets the same picture with its metadata, less the location.
        var theirs = await s.Merchant.GetAsync($"/api/disputes/{disputeId}/evidence/{evidence.EvidenceId}");
        Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);
        Assert.Equal("image/jpeg", theirs.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", theirs.Headers.GetValues("X-Content-Type-Options").Single());
        var shared = await theirs.Content.ReadAsByteArrayAsync();
        Assert.Empty(GpsValues(shared));
        Assert.DoesNotContain(PlaceMarker, Encoding.ASCII.GetString(shared));
        using (var image = Image.Load(shared))
        {
            Assert.Equal((64, 48), (image.Width, image.Height));
            Assert.Equal("TestCam", image.Metadata.ExifProfile?.GetValue(ExifTag.Make)?.Value);
        }

        var thumbnail = await s.Merchant.GetAsync($"/api/disputes/{disputeId}/evidence/{evidence.EvidenceId}/thumbnail");
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);
        var small = await thumbnail.Content.ReadAsByteArrayAsync();
        Assert.Empty(GpsValues(small));
        using (var image = Image.Load(small)) Assert.True(image.Width <= 320 && image.Height <= 320);
    }

    [Fact]
    public async Task A_large_photo_gets_a_thumbnail_of_at_most_320_pixels()
    {
        var (s, disputeId) = await OpenAsync();
        var added = await Scenario.EventAsync(await UploadAsync(s.Merchant, disputeId, Jpeg(withLocation: false, width: 1200, height: 900), "shelf.jpg", "image/jpeg"));

        var thumbnail = await s.Consumer.GetAsync($"/api/disputes/{disputeId}/evidence/{added.Evidence!.EvidenceId}/thumbnail");

        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        using var image = Image.Load(await thumbnail.Content.ReadAsByteArrayAsync());
        Assert.Equal((320, 240), (image.Width, image.Height));
    }

    [Fact]
    public async Task A_PDF_is_stored_as_is_for_the_other_party_and_has_no_thumbnail()
    {
        var (s, disputeId) = await OpenAsync();
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

        // An Idempotency-Key is ignored on uploads (the body is never buffered for it).
        s.Merchant.DefaultRequestHeaders.Add("Idempotency-Key", $"pdf-{Guid.NewGuid():N}");
        var added = await Scenario.EventAsync(await UploadAsync(s.Merchant, disputeId, pdf, "invoice.exe", "application/octet-stream"));

        Assert.Equal((EvidenceKind.Pdf, "application/pdf", false), (added.Evidence!.Kind, added.Evidence.ContentType, added.Evidence.HasThumbnail));
        var download = await s.Consumer.GetAsync($"/api/disputes/{disputeId}/evidence/{added.Evidence.EvidenceId}");
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(pdf, await download.Content.ReadAsByteArrayAsync());
        var thumbnail = await s.Consumer.GetAsync($"/api/disputes/{disputeId}/evidence/{added.Evidence.EvidenceId}/thumbnail");
        Assert.Contains("only photos have thumbnails", await AssertProblemAsync(thumbnail, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task A_video_may_be_larger_than_10_MB_up_to_its_own_limit()
    {
        var (s, disputeId) = await OpenAsync();
        var video = new byte[11 * 1024 * 1024];
        Convert.FromHexString("000000186674797069736F6D0000020069736F6D").CopyTo(video, 0); // an MP4's ftyp box

        var added = await Scenario.EventAsync(await UploadAsync(s.Consumer, disputeId, video, "unboxing.bin", "application/octet-stream"));

        Assert.Equal((EvidenceKind.Video, "video/mp4", (long)video.Length, false),
            (added.Evidence!.Kind, added.Evidence.ContentType, added.Evidence.Size, added.Evidence.HasThumbnail));
        var download = await s.Merchant.GetAsync($"/api/disputes/{disputeId}/evidence/{added.Evidence.EvidenceId}");
        Assert.Equal("video/mp4", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(added.Evidence.Sha256, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())));
    }

    [Fact]
    public async Task Plain_text_is_accepted_and_text_with_control_characters_is_not()
    {
        var (s, disputeId) = await OpenAsync();
        var text = Encoding.UTF8.GetBytes("Courier note: parcel left at the door, 20 Nov 18:02.\n快递放门口了。\n");

        var added = await Scenario.EventAsync(await UploadAsync(s.Merchant, disputeId, text, "note.pdf", "application/pdf"));
        Assert.Equal((EvidenceKind.Text, "text/plain; charset=utf-8"), (added.Evidence!.Kind, added.Evidence.ContentType));

        var before = await s.TimelineAsync(disputeId);
        var binary = Encoding.UTF8.GetBytes("looks like text\0\u0001\u0002 but is not");
        var refused = await UploadAsync(s.Merchant, disputeId, binary, "note.txt", "text/plain");
        Assert.Contains("not a type accepted as evidence", await AssertProblemAsync(refused, HttpStatusCode.UnsupportedMediaType));
        await AssertNothingChangedAsync(s, disputeId, before, keep: 1);
    }

    [Fact]
    public async Task An_upload_that_is_not_one_file_in_a_multipart_form_is_refused()
    {
        var (s, disputeId) = await OpenAsync();
        var before = await s.TimelineAsync(disputeId);

        var json = await s.Consumer.PostAsJsonAsync($"/api/disputes/{disputeId}/evidence", new { file = "aGVsbG8=" });
        Assert.Contains("multipart/form-data with one file part", await AssertProblemAsync(json, HttpStatusCode.UnsupportedMediaType));

        var two = new MultipartFormDataContent
        {
            { new ByteArrayContent(Jpeg(withLocation: false)), "file", "a.jpg" },
            { new ByteArrayContent(Jpeg(withLocation: false, width: 10, height: 10)), "file", "b.jpg" },
        };
        var twoFiles = await s.Consumer.PostAsync($"/api/disputes/{disputeId}/evidence", two);
        Assert.Equal("an upload carries exactly one file; send each file on its own", await AssertProblemAsync(twoFiles, HttpStatusCode.BadRequest));

        var noFile = await s.Consumer.PostAsync($"/api/disputes/{disputeId}/evidence", new MultipartFormDataContent { { new StringContent("hi"), "note" } });
        Assert.Contains("has no file part", await AssertProblemAsync(noFile, HttpStatusCode.BadRequest));

        var broken = new ByteArrayContent(Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\nno closing boundary"));
        broken.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        var truncated = await s.Consumer.PostAsync($"/api/disputes/{disputeId}/evidence", broken);
        Assert.StartsWith("the multipart body could not be read", await AssertProblemAsync(truncated, HttpStatusCode.BadRequest));
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    [Fact]
    public async Task The_evidence_routes_are_in_the_OpenAPI_document()
    {
        using var client = fixture.Factory.CreateClient();
        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/disputes/{disputeId}/evidence\"", openApi);
        Assert.Contains("\"/api/disputes/{disputeId}/evidence/{evidenceId}\"", openApi);
        Assert.Contains("\"/api/disputes/{disputeId}/evidence/{evidenceId}/thumbnail\"", openApi);
    }

    [Fact]
    public async Task Someone_else_s_dispute_refuses_the_upload_and_keeps_nothing()
    {
        var (s, disputeId) = await OpenAsync();
        var before = await s.TimelineAsync(disputeId);
        using var stranger = fixture.Factory.As($"m-other-{Guid.NewGuid():N}"[..20], "merchant");

        var response = await UploadAsync(stranger, disputeId, Jpeg(withLocation: true), "photo.jpg", "image/jpeg");

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    [Fact]
    public async Task An_upload_to_a_withdrawn_dispute_is_refused_and_leaves_nothing_behind()
    {
        var (s, disputeId) = await OpenAsync();
        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/withdraw", null));
        var before = await s.TimelineAsync(disputeId);

        var response = await UploadAsync(s.Consumer, disputeId, Jpeg(withLocation: true), "late.jpg", "image/jpeg");

        Assert.Equal($"evidence cannot be added to dispute {disputeId} now: it is Withdrawn", await AssertProblemAsync(response, HttpStatusCode.Conflict));
        await AssertNothingChangedAsync(s, disputeId, before);
    }

    private async Task<(Scenario, string DisputeId)> OpenAsync()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        return (s, dispute.DisputeId);
    }

    public static Task<HttpResponseMessage> UploadAsync(HttpClient client, string disputeId, byte[] bytes, string fileName, string declaredType)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(declaredType);
        var form = new MultipartFormDataContent { { file, "file", fileName } };
        return client.PostAsync($"/api/disputes/{disputeId}/evidence", form);
    }

    public static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
    }

    /// <summary>The timeline is as it was, and the dispute's evidence folder holds only the <paramref name="keep"/> files accepted before.</summary>
    private async Task AssertNothingChangedAsync(Scenario s, string disputeId, IReadOnlyList<DisputeEvent> before, int keep = 0)
    {
        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(disputeId)).Select(e => e.Seq));
        var folder = Path.Combine(fixture.Factory.DataDirectory, "evidence", disputeId);
        var files = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList() : [];
        Assert.Equal(keep, files.Count);
        var accepted = before.Where(e => e.Type == DisputeEventType.EvidenceAdded).Select(e => e.Evidence!.Sha256).ToHashSet();
        Assert.All(files, f => Assert.Contains(Path.GetFileName(f).Split('.')[0], accepted));
    }

    /// <summary>A Windows executable's first bytes (the DOS header and stub), NULs included.</summary>
    private static byte[] Executable()
    {
        var bytes = new byte[4096];
        "MZ"u8.CopyTo(bytes);
        bytes[0x3C] = 0x80;
        "This program cannot be run in DOS mode."u8.CopyTo(bytes.AsSpan(0x4E));
        "PE\0\0"u8.CopyTo(bytes.AsSpan(0x80));
        return bytes;
    }

    /// <summary>A real JPEG made here, with camera EXIF and, when asked, a GPS location (Hangzhou's West Lake).</summary>
    public static byte[] Jpeg(bool withLocation, int width = 64, int height = 48)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 4), (byte)(y * 5), 128);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Make, "TestCam");
        exif.SetValue(ExifTag.DateTimeOriginal, "2026:11:20 10:00:00");
        if (withLocation)
        {
            exif.SetValue(ExifTag.GPSLatitudeRef, "N");
            exif.SetValue(ExifTag.GPSLatitude, [new Rational(30, 1), new Rational(15, 1), new Rational(0, 1)]);
            exif.SetValue(ExifTag.GPSLongitudeRef, "E");
            exif.SetValue(ExifTag.GPSLongitude, [new Rational(120, 1), new Rational(8, 1), new Rational(0, 1)]);
            exif.SetValue(ExifTag.GPSMapDatum, PlaceMarker);
        }
        image.Metadata.ExifProfile = exif;
        using var output = new MemoryStream();
        image.Save(output, new JpegEncoder { Quality = 90 });
        return output.ToArray();
    }

    public static List<IExifValue> GpsValues(byte[] jpeg)
    {
        using var image = Image.Load(jpeg);
        return image.Metadata.ExifProfile?.Values.Where(v => EvidencePhotos.GpsTags.Contains(v.Tag)).ToList() ?? [];
    }
}

/// <summary>The type is read from the first bytes, as a table.</summary>
public sealed class EvidenceSnifferTests
{
    public static TheoryData<string, string, string?> Headers => new()
    {
        { "JPEG (JFIF)", "FF D8 FF E0 00 10 4A 46 49 46 00", "image/jpeg" },
        { "JPEG (Exif)", "FF D8 FF E1 12 34 45 78 69 66 00", "image/jpeg" },
        { "PNG", "89 50 4E 47 0D 0A 1A 0A 00 00 00 0D 49 48 44 52", "image/png" },
        { "WebP", "52 49 46 46 24 00 00 00 57 45 42 50 56 50 38 20", "image/webp" },
        { "AVI (RIFF, not WebP)", "52 49 46 46 24 00 00 00 41 56 49 20 4C 49 53 54", null },
        { "MP4", "00 00 00 18 66 74 79 70 6D 70 34 32 00 00 00 00", "video/mp4" },
        { "MP4 (isom)", "00 00 00 20 66 74 79 70 69 73 6F 6D 00 00 02 00", "video/mp4" },
        { "QuickTime", "00 00 00 14 66 74 79 70 71 74 20 20 00 00 00 00", "video/quicktime" },
        { "HEIC still image", "00 00 00 18 66 74 79 70 68 65 69 63 00 00 00 00", null },
        { "M4A audio", "00 00 00 20 66 74 79 70 4D 34 41 20 00 00 00 00", null },
        { "WebM", "1A 45 DF A3 9F 42 86 81 01 42 F7 81 01 42 82 84 77 65 62 6D", "video/webm" },
        { "Matroska (not WebM)", "1A 45 DF A3 A3 42 86 81 01 42 82 88 6D 61 74 72 6F 73 6B 61", null },
        { "PDF", "25 50 44 46 2D 31 2E 37 0A", "application/pdf" },
        { "Windows executable", "4D 5A 90 00 03 00 00 00 04 00 00 00 FF FF", null },
        { "ELF executable", "7F 45 4C 46 02 01 01 00", null },
        { "ZIP", "50 4B 03 04 14 00 00 00", null },
        { "GIF", "47 49 46 38 39 61 01 00 01 00", null },
        { "too short to be anything", "FF D8", null },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Binary_types_are_recognised_by_their_magic_bytes(string what, string hex, string? expected)
    {
        var head = Convert.FromHexString(hex.Replace(" ", ""));
        Assert.True(expected == EvidenceSniffer.Sniff(head)?.ContentType, what);
    }

    [Theory]
    [InlineData("The tins arrived crushed.\r\n\tSee photo 2.", true)]
    [InlineData("两罐茶叶压坏了 ✓ — 退货", true)]
    [InlineData("with a NUL\0 inside", false)]
    [InlineData("an escape \u001b[31m sequence", false)]
    [InlineData("a DEL \u007f", false)]
    [InlineData("a C1 control \u0085 (NEL)", false)]
    public void Plain_text_is_UTF_8_without_control_characters(string text, bool accepted) =>
        Assert.Equal(accepted, EvidenceSniffer.IsPlainText(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Bytes_that_are_not_UTF_8_are_not_text() =>
        Assert.False(EvidenceSniffer.IsPlainText([0x48, 0x69, 0xFF, 0xFE, 0x20, 0xC3]));
}
