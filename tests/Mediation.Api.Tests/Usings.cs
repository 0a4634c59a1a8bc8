// What every test project shares lives in tests/Mediation.Testing.
global using Mediation.Testing;
// The one service-process wrapper, under the name the API tests have always used.
global using MediationProcess = Mediation.Testing.ServiceProcess;
