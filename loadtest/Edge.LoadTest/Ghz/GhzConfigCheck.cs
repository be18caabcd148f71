using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Edge.LoadTest.Uploads;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace Edge.LoadTest.Ghz;

/// <summary>
/// Checks the ghz configs in loadtest/ghz against a running gateway by doing what ghz would do with them, short of
/// the load: every key is one ghz knows and every duration parses as a Go duration; the call is found the way the
/// config says (server reflection, or the named .proto file under its import paths); the data (inline or data file,
/// with ghz's <c>{{.UUID}}</c>-style templates filled in per call) parses as the method's request messages in protobuf
/// JSON, strictly; the metadata is read; and a few calls are made with them, each of which must end OK (and, for
/// RecordScans, with no event rejected). It proves the configs and the prepared data, not ghz.
/// </summary>
internal static partial class GhzConfigCheck
{
    public const string Name = "ghz-check";

    /// <summary>The JSON names of ghz's config fields (its <c>runner.Config</c>).</summary>
    private static readonly HashSet<string> GhzKeys = new(StringComparer.Ordinal)
    {
        "proto", "protoset", "call", "cacert", "cert", "key", "skipTLS", "cname", "authority", "insecure", "total",
        "concurrency", "connections", "qps", "rps", "duration", "duration-stop", "max-duration", "timeout", "data",
        "data-file", "binary-file", "metadata", "metadata-file", "stream-interval", "output", "format",
        "connect-timeout", "keepalive", "cpus", "import-paths", "name", "tags", "reflect-metadata", "debug", "host",
        "enable-compression", "load-schedule", "load-start", "load-step", "load-end", "load-step-duration",
        "load-max-duration", "async", "concurrency-schedule", "concurrency-start", "concurrency-end",
        "concurrency-step", "concurrency-step-duration", "concurrency-max-duration", "skipFirst", "count-errors",
        "lb-strategy", "stream-call-duration", "stream-call-count", "stream-dynamic-messages",
        "disable-template-functions", "disable-template-data",
    };

    private static readonly string[] DurationKeys =
        ["timeout", "duration", "max-duration", "stream-interval", "connect-timeout", "keepalive", "load-step-duration",
         "load-max-duration", "concurrency-step-duration", "concurrency-max-duration", "stream-call-duration"];

    /// <summary>The message types the configs may name: the gateway's contract and grpc.health.v1.</summary>
    private static readonly FileDescriptor[] KnownFiles =
    [
        V1.CommonReflection.Descriptor, V1.UploadsReflection.Descriptor, V1.ScansReflection.Descriptor,
        V1.ProofsReflection.Descriptor, V1.ManifestsReflection.Descriptor, Grpc.Health.V1.HealthReflection.Descriptor,
    ];

    private static readonly TypeRegistry Types = TypeRegistry.FromFiles(KnownFiles);

    private static readonly JsonParser StrictJson = new(JsonParser.Settings.Default.WithTypeRegistry(Types));

    /// <summary>
    /// <c>--gateway HOST:PORT</c> (127.0.0.1:5080), <c>--configs DIR</c> (loadtest/ghz), <c>--data DIR</c> (where
    /// prepare-ghz wrote the files the configs name under loadtest/ghz/data/), <c>--calls N</c> (3 per config),
    /// <c>--root DIR</c> (what the configs' relative paths are relative to: the repository).
    /// </summary>
    public static Task<int> RunAsync(ScenarioArguments arguments) => RunAsync(arguments, Console.Out);

    /// <inheritdoc cref="RunAsync(ScenarioArguments)"/>
    public static async Task<int> RunAsync(ScenarioArguments arguments, TextWriter report)
    {
        var root = arguments.String("root") ?? LoadTestProgram.FindRepositoryRoot();
        var configs = arguments.String("configs") ?? Path.Combine(root, "loadtest", "ghz");
        var data = arguments.String("data");
        var calls = arguments.Int("calls", 3);
        var gateway = arguments.String("gateway") ?? "127.0.0.1:5080";
        using var channel = GrpcChannel.ForAddress(gateway.Contains("://", StringComparison.Ordinal) ? gateway : "http://" + gateway,
            new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });

        var failures = 0;
        var files = Directory.GetFiles(configs, "*.json").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            report.WriteLine($"{Name}: no ghz configs in {configs}");
            return 2;
        }

        foreach (var file in files)
        {
            try
            {
                var summary = await CheckAsync(file, new PathResolver(root, data), channel, calls);
                report.WriteLine($"ok    {Path.GetFileName(file)}: {summary}");
            }
            catch (Exception e) when (e is GhzConfigException or RpcException or IOException or JsonException or InvalidProtocolBufferException or InvalidJsonException)
            {
                failures++;
                report.WriteLine($"FAIL  {Path.GetFileName(file)}: {e.Message}");
            }
        }

        report.WriteLine(failures == 0
            ? $"{Name}: all {files.Count} configs checked against {gateway} ({calls} calls each)"
            : $"{Name}: {failures} of {files.Count} configs failed");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Checks one config and makes its calls; returns what was done, or throws what is wrong.</summary>
    internal static async Task<string> CheckAsync(string file, PathResolver paths, GrpcChannel channel, int calls)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(file)) as JsonObject ?? throw new GhzConfigException("the config is not a JSON object");
        foreach (var (key, _) in config)
        {
            if (!GhzKeys.Contains(key))
            {
                throw new GhzConfigException($"'{key}' is not a ghz config key");
            }
        }

        foreach (var key in DurationKeys)
        {
            if (config[key] is { } value && !GoDuration().IsMatch(value.GetValue<string>()))
            {
                throw new GhzConfigException($"'{key}': '{value}' is not a Go duration (like 30s, 500ms, 1m30s)");
            }
        }

        var call = config["call"]?.GetValue<string>() ?? throw new GhzConfigException("no 'call'");
        var split = call.Contains('/', StringComparison.Ordinal) ? call.LastIndexOf('/') : call.LastIndexOf('.');
        if (split <= 0)
        {
            throw new GhzConfigException($"'call' {call} is not package.Service.Method");
        }

        var (service, methodName) = (call[..split], call[(split + 1)..]);
        var how = config["proto"] is { } proto
            ? FindInProto(proto.GetValue<string>(), config["import-paths"]?.AsArray().Select(p => p!.GetValue<string>()).ToList() ?? [], service, methodName, paths)
            : await FindByReflectionAsync(channel, service, methodName);

        var input = Types.Find(how.InputType) ?? throw new GhzConfigException($"unknown request type {how.InputType}");
        var output = Types.Find(how.OutputType) ?? throw new GhzConfigException($"unknown response type {how.OutputType}");
        var dataText = config["data-file"] is { } dataFile
            ? await File.ReadAllTextAsync(paths.Resolve(dataFile.GetValue<string>()))
            : config["data"]?.ToJsonString() ?? throw new GhzConfigException("neither 'data' nor 'data-file'");
        var headers = new Metadata();
        var metadata = config["metadata-file"] is { } metadataFile
            ? JsonNode.Parse(await File.ReadAllTextAsync(paths.Resolve(metadataFile.GetValue<string>())))
            : config["metadata"];
        foreach (var (key, value) in metadata?.AsObject() ?? [])
        {
            headers.Add(key, value!.GetValue<string>());
        }

        var timeout = config["timeout"] is { } t ? ParseGoDuration(t.GetValue<string>()) : TimeSpan.FromSeconds(20);
        var method = new Method<IMessage, IMessage>(how.Type, service, methodName,
            Marshallers.Create<IMessage>(m => m.ToByteArray(), _ => throw new NotSupportedException("requests are only sent")),
            Marshallers.Create<IMessage>(_ => throw new NotSupportedException("answers are only read"), bytes => output.Parser.ParseFrom(bytes)));
        var invoker = channel.CreateCallInvoker();
        var sentMessages = 0;
        var answers = new List<IMessage>();
        for (var n = 0; n < calls; n++)
        {
            // A data array is the stream's messages for a streaming request; for a single request ghz takes one
            // element per call, in turn.
            var messages = Messages(Expand(dataText, n + 1, how, service, methodName), input);
            var options = new CallOptions(headers, DateTime.UtcNow + timeout);
            switch (how.Type)
            {
                case MethodType.Unary:
                    answers.Add(await invoker.AsyncUnaryCall(method, null, options, messages[n % messages.Count]));
                    sentMessages++;
                    break;
                case MethodType.ServerStreaming:
                    using (var stream = invoker.AsyncServerStreamingCall(method, null, options, messages[n % messages.Count]))
                    {
                        sentMessages++;
                        answers.AddRange(await stream.ResponseStream.ReadAllAsync().Take(1).ToListAsync());
                    }

                    break;
                default:
                    using (var duplex = invoker.AsyncDuplexStreamingCall(method, null, options))
                    {
                        sentMessages += await SendAllAsync(duplex.RequestStream, messages);
                        answers.AddRange(await duplex.ResponseStream.ReadAllAsync().ToListAsync());
                        if (duplex.GetStatus().StatusCode != StatusCode.OK)
                        {
                            throw new RpcException(duplex.GetStatus());
                        }
                    }

                    break;
            }
        }

        foreach (var answer in answers)
        {
            if (answer is V1.RecordScansResponse scans && scans.Results.FirstOrDefault(r => r.Outcome == V1.ScanResult.Types.Outcome.Rejected) is { } rejected)
            {
                throw new GhzConfigException($"the gateway rejected scan {rejected.EventId}: {rejected.Reason}");
            }
        }

        var last = answers.Count == 0 ? "no answer" : Shorten(JsonFormatter.Default.Format(answers[^1]));
        return $"{how.Type} {service}/{methodName} found by {how.FoundBy}; {calls} calls, {sentMessages} messages sent, all OK; last answer {last}";
    }

    /// <summary>Sends every message, as ghz does, stopping quietly where the gateway has already ended the call.</summary>
    private static async Task<int> SendAllAsync(IClientStreamWriter<IMessage> requests, List<IMessage> messages)
    {
        var sent = 0;
        try
        {
            foreach (var message in messages)
            {
                await requests.WriteAsync(message);
                sent++;
            }

            await requests.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The gateway answered before the last message (an upload whose blob it already has): ghz stops sending too.
        }

        return sent;
    }

    private static List<IMessage> Messages(string json, MessageDescriptor input)
    {
        var node = JsonNode.Parse(json);
        var elements = node is JsonArray array ? array.ToList() : [node];
        if (elements.Count == 0)
        {
            throw new GhzConfigException("the data is an empty array");
        }

        return [.. elements.Select(e => StrictJson.Parse(e!.ToJsonString(), input))];
    }

    /// <summary>ghz's per-call template fields (Go text/template over the data); anything else is an error here.</summary>
    private static string Expand(string text, int requestNumber, Found how, string service, string method)
        => Template().Replace(text, match => match.Groups["field"].Value switch
        {
            "UUID" => Guid.NewGuid().ToString(),
            "RequestNumber" => requestNumber.ToString(CultureInfo.InvariantCulture),
            "WorkerID" => "g0c0",
            "Timestamp" => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            "TimestampUnix" => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            "TimestampUnixMilli" => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            "FullyQualifiedName" => $"{service}.{method}",
            "MethodName" => method,
            "ServiceName" => service,
            "InputName" => how.InputType,
            "OutputName" => how.OutputType,
            var other => throw new GhzConfigException($"the data uses the template {match.Value}, which this check does not know ({other})"),
        });

    private static Found FindInProto(string proto, List<string> importPaths, string service, string method, PathResolver paths)
    {
        if (!File.Exists(paths.Resolve(proto)))
        {
            throw new GhzConfigException($"'proto' {proto} does not exist");
        }

        // ghz compiles the file with its import paths; the gateway's compiled descriptors come from the same files.
        var names = importPaths.Append(".").Select(p => Path.GetRelativePath(paths.Resolve(p), paths.Resolve(proto)).Replace('\\', '/'));
        var file = KnownFiles.FirstOrDefault(f => names.Contains(f.Name, StringComparer.Ordinal))
            ?? throw new GhzConfigException($"'proto' {proto} is none of the contract's files under the import paths [{string.Join(", ", importPaths)}]");
        var found = file.Services.FirstOrDefault(s => s.FullName == service)?.FindMethodByName(method)
            ?? throw new GhzConfigException($"{proto} has no method {service}/{method}");
        return new Found(Kind(found.IsClientStreaming, found.IsServerStreaming), found.InputType.FullName, found.OutputType.FullName, $"proto {file.Name}");
    }

    private static async Task<Found> FindByReflectionAsync(GrpcChannel channel, string service, string method)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = service });
        await call.RequestStream.CompleteAsync();
        var answer = await call.ResponseStream.ReadAllAsync().FirstAsync();
        if (answer.ErrorResponse is { } error)
        {
            throw new GhzConfigException($"server reflection does not know {service}: {error.ErrorMessage}");
        }

        foreach (var bytes in answer.FileDescriptorResponse.FileDescriptorProto)
        {
            var file = FileDescriptorProto.Parser.ParseFrom(bytes);
            var prefix = string.IsNullOrEmpty(file.Package) ? string.Empty : file.Package + ".";
            if (file.Service.FirstOrDefault(s => prefix + s.Name == service)?.Method.FirstOrDefault(m => m.Name == method) is { } found)
            {
                return new Found(Kind(found.ClientStreaming, found.ServerStreaming), found.InputType.TrimStart('.'), found.OutputType.TrimStart('.'), "server reflection");
            }
        }

        throw new GhzConfigException($"server reflection has {service} but no method {method}");
    }

    private static MethodType Kind(bool clientStreaming, bool serverStreaming) => (clientStreaming, serverStreaming) switch
    {
        (false, false) => MethodType.Unary,
        (true, false) => MethodType.ClientStreaming,
        (false, true) => MethodType.ServerStreaming,
        _ => MethodType.DuplexStreaming,
    };

    private static TimeSpan ParseGoDuration(string text)
    {
        var total = TimeSpan.Zero;
        foreach (Match part in GoDurationPart().Matches(text))
        {
            var value = double.Parse(part.Groups["value"].Value, CultureInfo.InvariantCulture);
            total += part.Groups["unit"].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => TimeSpan.FromMicroseconds(value / (part.Groups["unit"].Value == "ns" ? 1000 : 1)),
            };
        }

        return total == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : total;
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "…";

    [GeneratedRegex(@"^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"(?<value>[0-9]+(\.[0-9]+)?)(?<unit>ns|us|µs|ms|s|m|h)")]
    private static partial Regex GoDurationPart();

    [GeneratedRegex(@"\{\{\s*\.(?<field>\w+)\s*\}\}|\{\{[^}]*\}\}")]
    private static partial Regex Template();

    /// <summary>How a config's call was found: its kind, request and response types, and by what.</summary>
    private sealed record Found(MethodType Type, string InputType, string OutputType, string FoundBy);

    /// <summary>Paths in a config are relative to the repository root; the prepared data may live elsewhere.</summary>
    internal sealed class PathResolver(string root, string? dataDirectory)
    {
        private const string DataPrefix = "loadtest/ghz/data/";

        public string Resolve(string path)
            => dataDirectory is not null && path.StartsWith(DataPrefix, StringComparison.Ordinal)
                ? Path.Combine(dataDirectory, path[DataPrefix.Length..])
                : Path.GetFullPath(path, root);
    }
}

/// <summary>A ghz config that ghz would refuse or that would not do what it says.</summary>
internal sealed class GhzConfigException(string message) : Exception(message);
