using Edge.Shared;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Gateway.Security;
using Edge.LoadTest.Uploads;
using Edge.LoadTesting;
using Edge.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.LoadTest.Ghz;

/// <summary>
/// Writes what the ghz configs in loadtest/ghz reference, for a running gateway: a device token as a metadata file,
/// a RecordScans batch, a SubmitProof request naming a photo this step uploads first (at a plain stop of the route's
/// manifest), and a whole Upload stream (start, then chunks with their CRC32C) of another photo. ghz fills the
/// <c>{{.UUID}}</c> and <c>{{.Timestamp}}</c> templates per call, so every scan and proof is a new one.
/// </summary>
internal static class GhzPreparation
{
    public const string Name = "prepare-ghz";

    public static async Task<int> RunAsync(ScenarioArguments arguments)
    {
        var gateway = arguments.String("gateway") ?? "127.0.0.1:5080";
        var output = Directory.CreateDirectory(arguments.String("out") ?? Path.Combine("loadtest", "ghz", "data")).FullName;
        var route = arguments.String("route") ?? "R-0001";
        var photoBytes = arguments.Int("photo-bytes", 3_000_000);
        var chunkBytes = arguments.Int("chunk", 65536);
        var key = DeviceTokens.ResolveKey(
            new DeviceTokenOptions { SigningKey = arguments.String("signing-key") },
            arguments.String("data") ?? "data", out var keySource);
        var token = DeviceTokens.Mint(key, new DeviceTokenOptions(), "ghz-device", "ghz-driver", [route], TimeSpan.FromHours(12), DateTimeOffset.UtcNow);
        var headers = new Metadata { { "authorization", "Bearer " + token } };
        Console.WriteLine($"prepare-ghz: gateway {gateway}, key from {keySource}, route {route}, into {output}");

        using var channel = GrpcChannel.ForAddress(gateway.Contains("://", StringComparison.Ordinal) ? gateway : "http://" + gateway);

        // The proof's photo, uploaded now; and the photo ghz streams, only written down (distinct digests).
        var proofPhoto = PhoneJpeg.MakeExactly(photoBytes, "ghz-proof-" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("D16", CultureInfo.InvariantCulture));
        var streamedPhoto = PhoneJpeg.MakeExactly(photoBytes, "ghz-upload-" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("D16", CultureInfo.InvariantCulture));
        var digest = Convert.ToHexStringLower(SHA256.HashData(proofPhoto));
        await UploadScenario.UploadOnceAsync(new Edge.V1.Uploads.UploadsClient(channel), headers, $"ghz-proof-photo-{digest[..16]}", proofPhoto, chunkBytes);
        Console.WriteLine($"uploaded the proof photo {digest}");

        var manifest = (await new Edge.V1.Manifests.ManifestsClient(channel).GetManifestAsync(new GetManifestRequest { RouteId = route }, headers)).Manifest;
        var stop = manifest.Stops.First(s => !s.Confidential && !s.PhotoOptOut);
        var scanStops = manifest.Stops.Take(20).ToList();

        await WriteAsync(output, "metadata.json", new JsonObject { ["authorization"] = "Bearer " + token });
        await WriteAsync(output, "recordscans.json", new JsonObject
        {
            ["events"] = new JsonArray([.. scanStops.Select((s, i) => (JsonNode)new JsonObject
            {
                ["event_id"] = $"ghz-{{{{.UUID}}}}-{i:D2}",
                ["package_id"] = s.Packages[0].PackageId,
                ["barcode"] = s.Packages[0].Barcode,
                ["route_id"] = route,
                ["stop_id"] = s.StopId,
                ["type"] = "OUT_FOR_DELIVERY",
                ["scanned_at"] = "{{.Timestamp}}",
            })]),
        });
        await WriteAsync(output, "submitproof.json", new JsonObject
        {
            ["proof_id"] = "ghz-{{.UUID}}",
            ["route_id"] = route,
            ["stop_id"] = stop.StopId,
            ["package_ids"] = new JsonArray([.. stop.Packages.Select(p => (JsonNode)p.PackageId)]),
            ["delivered_at"] = "{{.Timestamp}}",
            ["location"] = new JsonObject { ["latitude"] = stop.Location.Latitude, ["longitude"] = stop.Location.Longitude, ["accuracy_meters"] = 6 },
            ["place_left"] = "FRONT_DOOR",
            ["photo_sha256"] = new JsonArray(digest),
        });

        // Upload: start, then every chunk. Protobuf JSON: bytes as base64, int64 as a string.
        var messages = new JsonArray(new JsonObject
        {
            ["start"] = new JsonObject
            {
                ["upload_id"] = "ghz-{{.UUID}}",
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(streamedPhoto)),
                ["size_bytes"] = streamedPhoto.Length.ToString(CultureInfo.InvariantCulture),
                ["content_type"] = "image/jpeg",
            },
        });
        for (var offset = 0; offset < streamedPhoto.Length; offset += chunkBytes)
        {
            var slice = streamedPhoto.AsSpan(offset, Math.Min(chunkBytes, streamedPhoto.Length - offset));
            messages.Add(new JsonObject
            {
                ["chunk"] = new JsonObject
                {
                    ["offset"] = offset.ToString(CultureInfo.InvariantCulture),
                    ["data"] = Convert.ToBase64String(slice),
                    ["crc32c"] = Crc32C.Compute(slice),
                },
            });
        }

        await WriteAsync(output, "upload.json", messages);
        Console.WriteLine($"wrote metadata.json, recordscans.json (20 events), submitproof.json (stop {stop.StopId}), upload.json ({messages.Count - 1} chunks of {chunkBytes} bytes)");
        Console.WriteLine("EDGE_TOKEN=" + token);
        return 0;
    }

    private static async Task WriteAsync(string directory, string name, JsonNode content)
        => await File.WriteAllTextAsync(Path.Combine(directory, name), content.ToJsonString(new JsonSerializerOptions { WriteIndented = name != "upload.json" }));
}
