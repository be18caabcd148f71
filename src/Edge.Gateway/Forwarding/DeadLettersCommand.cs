using Edge.Gateway.Hosting;
using Edge.Gateway.Proofs;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// <c>Edge.Gateway dead-letters list</c> and <c>Edge.Gateway dead-letters replay --id scan:E1 | --all</c>: what the
/// core refused for good, and sending it again (after the cause was fixed at the core). Uses the gateway's own
/// configuration, so it reads the same Redis or SQLite state.
/// </summary>
internal static class DeadLettersCommand
{
    public const string Name = "dead-letters";

    public static async Task<int> RunAsync(string[] args)
    {
        var verb = args.FirstOrDefault();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args.Skip(1).ToArray(), ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var edge = builder.Configuration.GetSection(EdgeOptions.SectionName).Get<EdgeOptions>() ?? new EdgeOptions();
        builder.Services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName);
        builder.Services.AddOptions<ForwardingOptions>().BindConfiguration(ForwardingOptions.SectionName);
        builder.Services.AddEdgeState(edge);
        using var host = builder.Build();
        var letters = host.Services.GetRequiredService<IDeadLetters>();
        switch (verb)
        {
            case "list":
                foreach (var letter in await letters.ListAsync(CancellationToken.None))
                {
                    Console.WriteLine($"{letter.Id}\t{letter.At:O}\t{letter.Reason}");
                }

                return 0;
            case "replay":
                var id = builder.Configuration["id"];
                var all = string.Equals(builder.Configuration["all"], "true", StringComparison.OrdinalIgnoreCase);
                if (id is null && !all)
                {
                    break;
                }

                var chosen = (await letters.ListAsync(CancellationToken.None)).Where(l => all || l.Id == id).ToList();
                foreach (var letter in chosen)
                {
                    await ReplayAsync(host.Services, letter);
                    Console.WriteLine($"replayed {letter.Id}");
                }

                if (chosen.Count == 0)
                {
                    Console.Error.WriteLine("no such dead letter");
                    return 1;
                }

                return 0;
        }

        Console.Error.WriteLine("usage: Edge.Gateway dead-letters list | replay --id <lane:item id> | replay --all true");
        Console.Error.WriteLine("       plus any gateway setting (--Edge:Redis ..., --Edge:DataDirectory ...) to reach the same state.");
        return 2;
    }

    /// <summary>Queues the item again and takes it off the list; a proof goes back to RECEIVED.</summary>
    internal static async Task ReplayAsync(IServiceProvider services, DeadLetter letter)
    {
        if (letter.Lane == OutboxLane.Proofs)
        {
            var proofs = services.GetRequiredService<IProofStore>();
            if (await proofs.GetAsync(letter.ItemId, CancellationToken.None) is { } record)
            {
                var receipt = record.Receipt with { Status = ProofState.Received, Reason = string.Empty, UpdatedAt = DateTimeOffset.UtcNow };
                await proofs.SetReceiptAsync(letter.ItemId, receipt, CancellationToken.None);
            }
        }

        await services.GetRequiredService<IOutbox>().EnqueueAsync(letter.Lane, letter.ItemId, letter.Payload, CancellationToken.None);
        await services.GetRequiredService<IDeadLetters>().RemoveAsync(letter.Id, CancellationToken.None);
    }
}
