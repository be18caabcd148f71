using Edge.LoadTest.Uploads;

// Edge.LoadTest <scenario> [--option value ...]: benchmark runners that share one report format (loadtest/README.md).
var scenario = args.FirstOrDefault();
var arguments = new ConfigurationBuilder().AddCommandLine(args.Skip(1).ToArray()).Build();
return scenario switch
{
    UploadScenario.Name => await UploadScenario.RunAsync(arguments),
    UploadGatewayRole.Name => await UploadGatewayRole.RunAsync(arguments),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Edge.LoadTest <scenario> [options]");
    Console.Error.WriteLine("  uploads [--concurrency 32] [--uploads 480] [--size 3000000] [--chunk 65536] [--redis host:port] [--data dir]");
    return 2;
}
