// The one service-process wrapper, under the name the API tests use.
global using MediationProcess = Mediation.Testing.ServiceProcess;
