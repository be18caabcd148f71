using System.Diagnostics;
using System.Globalization;
using Core.V1;
using Edge.Gateway.Security;
using Edge.LoadTest.Forwarding;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.LoadTest.Chaos;

/// <summary>One mode's chaos: the load, the kills, the outages, and the audit of what the core holds.</summary>
internal sealed class ChaosRun(string mode, ChaosSettings settings, Random random, BenchmarkReport report, string key, ChaosProcess core, List<ChaosProcess> gateways)
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(3);

    public async Task<bool> RunAsync()
    {
        var signingKey = DeviceTokens.ResolveKey(new DeviceTokenOptions { SigningKey = key }, Path.GetTempPath(), out _);
        var headers = Enumerable.Range(0, settings.Devices).Select(i => new Metadata
        {
            { "authorization", "Bearer " + DeviceTokens.Mint(signingKey, new DeviceTokenOptions(), $"chaos-{mode}-device-{i}", "chaos-driver", ["R-0001"], TimeSpan.FromHours(4), DateTimeOffset.UtcNow) },
        }).ToArray();
        var channels = gateways.Select(g => GrpcChannel.ForAddress(g.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(2) },
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
            MaxReconnectBackoff = TimeSpan.FromMilliseconds(200),
        })).ToList();
        using var coreChannel = GrpcChannel.ForAddress(core.Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(50),
            MaxReconnectBackoff = TimeSpan.FromMilliseconds(50),
        });
        var admin = new Admin.AdminClient(coreChannel);
        try
        {
            var manifest = (await new Edge.V1.Manifests.ManifestsClient(channels[0]).GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" }, headers[0])).Manifest;
            var stop = manifest.Stops.First(s => !s.Confidential && !s.PhotoOptOut && s.Packages.Count > 0);
            var photos = await ForwardingScenario.UploadPhotosAsync(channels[0], headers, settings.Devices, perDevice: true);
            using var load = new ChaosLoad(channels, headers, photos, stop, settings.ScansPerSecond, settings.ProofEvery);
            using var stopLoad = new CancellationTokenSource();
            var running = load.RunAsync(mode, stopLoad.Token);
            await Task.Delay(TimeSpan.FromSeconds(2));

            var kills = new List<double>();
            for (var k = 0; k < settings.Kills; k++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, settings.Short ? 3000 : 6000)));
                var victim = gateways[random.Next(gateways.Count)];
                var (scans, proofs) = Snapshot(load);
                await victim.KillAsync();
                await victim.StartAsync();
                var restarted = Stopwatch.StartNew();
                await WaitForCoreAsync(admin, scans, proofs);
                kills.Add(restarted.Elapsed.TotalSeconds);
                Console.WriteLine($"{mode}: kill -9 {k + 1} of {victim.Name}: restarted; the core held the {scans.Count} scans and {proofs.Count} proofs acknowledged before the kill {restarted.Elapsed.TotalSeconds:0.00} s after the restart");
            }

            for (var o = 0; o < settings.Outages; o++)
            {
                await OutageAsync(o, load, admin, headers, channels);
            }

            await stopLoad.CancelAsync();
            await running;
            var (allScans, allProofs) = Snapshot(load);
            var finalDrain = Stopwatch.StartNew();
            await WaitForCoreAsync(admin, allScans, allProofs);
            return await AuditAsync(admin, load, allScans, allProofs, kills, finalDrain.Elapsed);
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private async Task OutageAsync(int index, ChaosLoad load, Admin.AdminClient admin, Metadata[] headers, List<GrpcChannel> channels)
    {
        var fixedLoad = settings.OutageScans > 0 || settings.OutageProofs > 0;
        if (fixedLoad)
        {
            await load.PauseAsync();
        }

        var (before, _) = await CoreIdsAsync(admin);
        var outage = Stopwatch.StartNew();
        await core.KillAsync();
        var tag = $"{mode}-outage{index}";
        if (fixedLoad)
        {
            await load.SendFixedAsync(tag, settings.OutageScans, settings.OutageProofs);
        }

        var rest = settings.Outage - outage.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }

        var (scans, proofs) = Snapshot(load);
        await core.StartAsync();
        var back = Stopwatch.StartNew();
        Console.WriteLine($"{mode}: the core is back at {DateTime.UtcNow:HH:mm:ss.fff}");
        double? first = null;
        double? answering = null;
        while (first is null && back.Elapsed < GiveUpAfter)
        {
            try
            {
                var (now, _) = await CoreIdsAsync(admin);
                answering ??= back.Elapsed.TotalSeconds;
                if (now.Count > before.Count)
                {
                    first = back.Elapsed.TotalSeconds;
                }
            }
            catch (RpcException)
            {
                // The core's listener is up before its services answer.
            }

            await Task.Delay(PollEvery);
        }

        await WaitForCoreAsync(admin, scans, proofs);
        var drained = back.Elapsed.TotalSeconds;
        double? committed = null;
        if (fixedLoad)
        {
            var fixedProofs = Enumerable.Range(0, settings.OutageProofs).Select(i => $"{tag}-p{i}").ToList();
            var client = new Edge.V1.Proofs.ProofsClient(channels[0]);
            while (back.Elapsed < GiveUpAfter)
            {
                var statuses = await Task.WhenAll(fixedProofs.Select(async id =>
                    (await client.GetProofStatusAsync(new GetProofStatusRequest { ProofId = id }, headers[0])).Status));
                if (statuses.All(s => s == ProofStatus.Committed))
                {
                    committed = back.Elapsed.TotalSeconds;
                    break;
                }

                await Task.Delay(PollEvery);
            }

            load.Resume();
        }

        var what = fixedLoad ? $"{settings.OutageScans} scans and {settings.OutageProofs} proofs sent during it" : $"{scans.Count} scans and {proofs.Count} proofs acknowledged by then";
        Console.WriteLine($"{mode}: core outage {index + 1} ({settings.Outage.TotalSeconds:0} s, {what}): the core listening again, then answering calls {answering:0.00} s later; "
            + $"first item at the core {first:0.00} s after it listened, "
            + $"everything {drained:0.00} s after" + (committed is { } c ? $", every proof COMMITTED {c:0.00} s after" : string.Empty));
        report.Add($"{mode} outage {index + 1}: core answering calls after its port opened", answering ?? double.NaN, "s");
        report.Add($"{mode} outage {index + 1}: first item at the core after its return", first ?? double.NaN, "s");
        report.Add($"{mode} outage {index + 1}: everything at the core after its return", drained, "s");
        if (fixedLoad)
        {
            report.Add($"{mode} outage {index + 1}: every proof COMMITTED after the core's return", committed ?? double.NaN, "s");
        }
    }

    private async Task<bool> AuditAsync(Admin.AdminClient admin, ChaosLoad load, HashSet<string> scans, HashSet<string> proofs, List<double> kills, TimeSpan finalDrain)
    {
        var coreScans = await admin.ListScansAsync(new Empty());
        var coreProofs = await admin.ListProofsAsync(new Empty());
        var scanIds = coreScans.AcceptedEventIds.Concat(coreScans.RejectedEventIds).ToList();
        var proofIds = coreProofs.AcceptedProofIds.Concat(coreProofs.RejectedProofIds).ToList();
        var lost = scans.Count(id => !scanIds.Contains(id)) + proofs.Count(id => !proofIds.Contains(id));
        var duplicated = (scanIds.Count - scanIds.Distinct().Count()) + (proofIds.Count - proofIds.Distinct().Count());
        var rejected = coreScans.RejectedEventIds.Count + coreProofs.RejectedProofIds.Count;
        kills.Sort();
        Console.WriteLine($"{mode}: {scans.Count} scans and {proofs.Count} proofs acknowledged; lost {lost}, duplicated {duplicated}, rejected by the core {rejected}; "
            + $"{load.Resends} calls sent again by devices; final drain {finalDrain.TotalSeconds:0.00} s");
        report.Add($"{mode}: scans acknowledged", scans.Count, "");
        report.Add($"{mode}: proofs acknowledged", proofs.Count, "");
        report.Add($"{mode}: lost", lost, "");
        report.Add($"{mode}: duplicated at the core", duplicated, "");
        report.Add($"{mode}: calls sent again by devices", load.Resends, "");
        if (kills.Count > 0)
        {
            report.Add($"{mode}: drain after a kill -9, median", kills[kills.Count / 2], "s");
            report.Add($"{mode}: drain after a kill -9, max", kills[^1], "s");
        }

        return lost == 0 && duplicated == 0 && rejected == 0;
    }

    /// <summary>Waits until the core holds every one of these ids (a hang guard of three minutes, then it reports what is missing).</summary>
    private static async Task WaitForCoreAsync(Admin.AdminClient admin, HashSet<string> scans, HashSet<string> proofs)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var (coreScans, coreProofs) = await CoreIdsAsync(admin);
                if (scans.IsSubsetOf(coreScans) && proofs.IsSubsetOf(coreProofs))
                {
                    return;
                }

                if (clock.Elapsed > GiveUpAfter)
                {
                    Console.WriteLine($"gave up waiting: {scans.Count(s => !coreScans.Contains(s))} scans and {proofs.Count(p => !coreProofs.Contains(p))} proofs not at the core");
                    return;
                }
            }
            catch (RpcException) when (clock.Elapsed < GiveUpAfter)
            {
            }

            await Task.Delay(PollEvery);
        }
    }

    private static async Task<(HashSet<string> Scans, HashSet<string> Proofs)> CoreIdsAsync(Admin.AdminClient admin)
    {
        var scans = await admin.ListScansAsync(new Empty(), deadline: DateTime.UtcNow.AddSeconds(10));
        var proofs = await admin.ListProofsAsync(new Empty(), deadline: DateTime.UtcNow.AddSeconds(10));
        return ([.. scans.AcceptedEventIds, .. scans.RejectedEventIds], [.. proofs.AcceptedProofIds, .. proofs.RejectedProofIds]);
    }

    private static (HashSet<string> Scans, HashSet<string> Proofs) Snapshot(ChaosLoad load)
        => (new HashSet<string>(load.AcknowledgedScans, StringComparer.Ordinal), new HashSet<string>(load.AcknowledgedProofs.Keys, StringComparer.Ordinal));
}
