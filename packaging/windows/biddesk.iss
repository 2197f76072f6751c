; Inno Setup 6 script for BidDesk: installs the PyInstaller one-dir build per user or for all
; users, with a Start menu entry, an optional desktop icon and an uninstaller.
;
; build.py compiles it after freezing (on a Windows runner):
;   iscc /DAppVersion=0.1.0 /DSourceDir=build\pyinstaller\dist\biddesk ^
;        /DIconFile=resources\icons\biddesk.ico /Obuild\installers packaging\windows\biddesk.iss
; which writes build\installers\BidDesk-<version>-setup.exe.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z ...
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\pyinstaller\dist\biddesk"
#endif
#ifndef IconFile
  #define IconFile "..\..\resources\icons\biddesk.ico"
#endif

[Setup]
; A fixed AppId keeps upgrades and the uninstaller tied to one installation.
AppId={{6F1C3B2E-8D4A-4F7B-9E21-B1DDE5C0A7F3}
AppName=BidDesk
AppVersion={#AppVersion}
AppVerName=BidDesk {#AppVersion}
AppPublisher=BidDesk maintainers
DefaultDirName={autopf}\BidDesk
DefaultGroupName=BidDesk
DisableProgramGroupPage=yes
; Per-user by default (no UAC prompt); the dialog offers an all-users install.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=BidDesk-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\biddesk.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\BidDesk"; Filename: "{app}\biddesk.exe"; AppUserModelID: "io.biddesk.biddesk"
Name: "{autodesktop}\BidDesk"; Filename: "{app}\biddesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\biddesk.exe"; Description: "{cm:LaunchProgram,BidDesk}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the app itself writes next to the executable; the user's data folder stays.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
// Start at login is a value the app writes under the user's Run key (app/services/
// autostart.py); the uninstaller takes it away with the program, so no login tries to
// start an executable that is gone. An upgrade keeps it: {app} and the value stay.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', 'BidDesk');
end;
