package catalog

// containerRun are the options of docker/podman run and create that hand
// host files to a container.
var containerRun = []Opt{
	{Names: "-v --volume --mount", Arg: Value, Kind: Mount},
	{Names: "--env-file --label-file --cidfile --device-read-bps", Arg: Value, Kind: Read},
	{Names: "-e --env", Arg: Value, Kind: Assign},
	{Names: "--name -p --publish -w --workdir -u --user --network --net --entrypoint --platform -l --label --cpus -m --memory --restart --hostname -h --add-host --dns --cap-add --cap-drop --security-opt --tmpfs --ulimit --pull --pid --ipc --runtime --gpus", Arg: Value},
}

var infraPrograms = []Program{
	{Names: "docker podman nerdctl", Class: Infrastructure, Why: "controls containers",
		Opts: []Opt{{Names: "-H --host -c --context --config -l --log-level", Arg: Value}},
		Subs: []Program{
			{Names: "run", Style: POSIX, Opts: containerRun, Operands: Operands{Lead: []Kind{Data, Exec}}, Note: "the command after the image runs in the container: decided as if it ran here"},
			{Names: "create", Opts: containerRun, Operands: Operands{Lead: []Kind{Data}, Rest: Data}},
			{Names: "build", Opts: []Opt{
				{Names: "--secret --ssh", Arg: Value, Kind: Mount},
				{Names: "-f --file", Arg: Value, Kind: Read},
				{Names: "--push", Class: Publish, Why: "docker build --push publishes an image"},
				{Names: "-t --tag --build-arg --target --platform --cache-from --cache-to --label --network -o --output --progress", Arg: Value},
			}},
			{Names: "buildx", Subs: []Program{{Names: "build", Opts: []Opt{
				{Names: "--secret --ssh", Arg: Value, Kind: Mount},
				{Names: "-f --file", Arg: Value, Kind: Read},
				{Names: "--push", Class: Publish, Why: "docker buildx build --push publishes an image"},
				{Names: "-t --tag --build-arg --target --platform --cache-from --cache-to --label -o --output --progress --builder", Arg: Value},
			}}}},
			{Names: "push", Class: Publish, Why: "pushes an image to a registry"},
			{Names: "cp", Operands: Operands{Rest: Read}},
			{Names: "exec", Style: POSIX, Opts: []Opt{{Names: "-e --env", Arg: Value, Kind: Assign}, {Names: "--env-file", Arg: Value, Kind: Read}, {Names: "-u --user -w --workdir --detach-keys", Arg: Value}},
				Operands: Operands{Lead: []Kind{Data, Exec}}, Note: "the command runs in the container: decided as if it ran here"},
			{Names: "secret config", Subs: []Program{{Names: "create", Operands: Operands{Lead: []Kind{Data, Read}}}}},
			{Names: "compose", Opts: []Opt{{Names: "--env-file", Arg: Value, Kind: Read}, {Names: "-f --file -p --project-name --profile --project-directory", Arg: Value}},
				Subs: []Program{{Names: "run", Opts: containerRun}, {Names: "push", Class: Publish, Why: "pushes images to a registry"}}},
		}},
	{Names: "docker-compose podman-compose", Class: Infrastructure, Why: "controls containers",
		Subs: []Program{{Names: "run", Opts: containerRun}, {Names: "push", Class: Publish, Why: "pushes images to a registry"}}},
	{Names: "buildah", Class: Infrastructure, Why: "builds container images", Subs: []Program{{Names: "push", Class: Publish, Why: "pushes an image to a registry"}}},
	{Names: "kubectl oc kubecolor", Class: Infrastructure, Why: "controls a Kubernetes cluster",
		Opts: []Opt{{Names: "-n --namespace --context --cluster --kubeconfig -l --selector -o --output --as --server -s --token --user", Arg: Value}},
		Subs: []Program{
			{Names: "delete", Class: InfraApply, Why: "kubectl delete removes cluster resources"},
			{Names: "config", Subs: []Program{{Names: "view", Opts: []Opt{
				{Names: "--raw --flatten", Class: EnvSecrets, Why: "kubectl config view --raw prints cluster credentials"}}}}},
			{Names: "create", Subs: []Program{
				{Names: "secret", Subs: []Program{{Names: "generic tls docker-registry", Opts: []Opt{
					{Names: "--from-file --from-env-file --cert --key", Arg: Value, Kind: Mount},
					{Names: "--from-literal --type", Arg: Value},
				}}}},
				{Names: "configmap cm", Opts: []Opt{{Names: "--from-file --from-env-file", Arg: Value, Kind: Mount}, {Names: "--from-literal", Arg: Value}}},
			}},
			{Names: "cp", Operands: Operands{Rest: Read}},
			{Names: "exec", Style: POSIX, Opts: []Opt{{Names: "-c --container -f --filename", Arg: Value}}, Operands: Operands{Lead: []Kind{Data, Exec}},
				Note: "the command runs in the pod: decided as if it ran here"},
		}},
	{Names: "kubectx kubens k9s helmfile kustomize argocd minikube kind k3d kops eksctl skaffold tilt vagrant packer nomad consul crictl ctr " +
		"ansible ansible-playbook serverless sls cdktf doctl flyctl fly vercel netlify heroku wrangler firebase railway hcloud linode-cli ibmcloud aliyun supabase",
		Class: Infrastructure, Why: "controls containers, clusters or cloud infrastructure",
		// doctl compute droplet delete, heroku apps:destroy: the verb comes
		// after the resource, so it is matched among the operands.
		Tasks: []Task{{Names: "delete destroy apps:destroy", Class: InfraApply, Why: "deletes real infrastructure"}},
		Subs: []Program{
			{Names: "remove destroy", Class: InfraApply, Why: "removes real infrastructure"},
			{Names: "delete", Subs: []Program{{Names: "cluster nodegroup", Class: InfraApply, Why: "deletes real infrastructure"}}},
		}},
	{Names: "helm", Class: Infrastructure, Why: "controls Kubernetes releases",
		Opts: []Opt{{Names: "-f --values", Arg: Value, Kind: Read}, {Names: "--set-file", Arg: Value, Kind: Mount}, {Names: "-n --namespace --kube-context --kubeconfig --set --set-string --version", Arg: Value}},
		Subs: []Program{{Names: "push", Class: Publish, Why: "helm push publishes a chart"}}},
	{Names: "terraform tofu terragrunt", Class: Infrastructure, Why: "controls infrastructure",
		Opts:  []Opt{{Names: "-chdir", Arg: Value}, {Names: "-var -var-file -target -state -backend-config -replace", Arg: Value}},
		Style: Words,
		Subs: []Program{
			{Names: "apply destroy", Class: InfraApply, Why: "changes real infrastructure"},
			{Names: "state", Subs: []Program{{Names: "push", Style: Words, Opts: []Opt{{Names: "-force", Class: InfraApply, Why: "terraform state push -force overwrites the remote state"}}}}},
			{Names: "run-all", Subs: []Program{{Names: "apply destroy", Class: InfraApply, Why: "changes real infrastructure"}}},
		}},
	{Names: "pulumi", Class: Infrastructure, Why: "controls infrastructure",
		Opts: []Opt{{Names: "-s --stack -C --cwd", Arg: Value}},
		Subs: []Program{{Names: "destroy down", Class: InfraApply, Why: "pulumi destroy removes real infrastructure"}}},
	{Names: "cdk", Class: Infrastructure, Why: "controls infrastructure", Subs: []Program{{Names: "destroy", Class: InfraApply, Why: "cdk destroy removes real infrastructure"}}},
	{Names: "aws", Class: Infrastructure, Why: "controls cloud infrastructure",
		Tasks: []Task{{Names: "delete-* terminate-* deregister-* remove-* purge-*", Class: InfraApply, Why: "deletes cloud resources"}},
		Opts:  []Opt{{Names: "--profile --region --output --endpoint-url --query --cli-input-json", Arg: Value}},
		Subs: []Program{
			{Names: "s3", Subs: []Program{
				{Names: "cp sync mv", Class: Egress, Why: "aws s3 copies data to or from a bucket"},
				{Names: "rm rb", Class: InfraApply, Why: "aws s3 deletes cloud data", Unless: DryRun, Opts: []Opt{{Names: "--dryrun", Mark: DryRun}}},
			}},
			{Names: "s3api", Subs: []Program{{Names: "put-object upload-part", Class: Egress, Why: "aws s3api uploads data"}}},
			{Names: "configure", Subs: []Program{{Names: "get", Operands: Operands{Lead: []Kind{SecretName}}}, {Names: "export-credentials", Class: EnvSecrets, Why: "aws configure export-credentials prints credentials"}}},
			{Names: "secretsmanager", Subs: []Program{{Names: "get-secret-value", Class: EnvSecrets, Why: "prints a stored secret"}}},
			{Names: "ssm", Subs: []Program{{Names: "get-parameter get-parameters", Class: EnvSecrets, Why: "may print stored secrets"}}},
			{Names: "sts", Subs: []Program{{Names: "get-session-token assume-role get-federation-token", Class: EnvSecrets, Why: "prints temporary credentials"}}},
			{Names: "ecr", Subs: []Program{{Names: "get-login-password", Class: EnvSecrets, Why: "prints a registry password"}}},
			{Names: "cloudformation", Subs: []Program{{Names: "delete-stack", Class: InfraApply, Why: "removes real infrastructure"}}},
			{Names: "ec2", Subs: []Program{{Names: "terminate-instances", Class: InfraApply, Why: "deletes real infrastructure"}}},
		}},
	{Names: "gsutil", Class: Infrastructure, Why: "controls cloud storage",
		Subs: []Program{{Names: "cp rsync mv", Class: Egress, Why: "gsutil copies data to or from a bucket"}}},
	{Names: "gcloud", Class: Infrastructure, Why: "controls cloud infrastructure",
		Tasks: []Task{{Names: "delete", Class: InfraApply, Why: "deletes cloud resources"}},
		Opts:  []Opt{{Names: "--project --account --configuration --format --region --zone", Arg: Value}},
		Subs: []Program{
			{Names: "storage", Subs: []Program{{Names: "cp rsync mv", Class: Egress, Why: "gcloud storage copies data to or from a bucket"}}},
			{Names: "auth", Subs: []Program{
				{Names: "print-access-token print-identity-token", Class: EnvSecrets, Why: "prints a cloud access token"},
				{Names: "application-default", Subs: []Program{{Names: "print-access-token", Class: EnvSecrets, Why: "prints a cloud access token"}}},
			}},
			{Names: "secrets", Subs: []Program{{Names: "versions", Subs: []Program{{Names: "access", Class: EnvSecrets, Why: "prints a stored secret"}}}}},
			{Names: "compute", Subs: []Program{{Names: "ssh scp", Class: Egress, Why: "gcloud moves data to a remote machine"}}},
		}},
	{Names: "az", Class: Infrastructure, Why: "controls cloud infrastructure",
		Tasks: []Task{{Names: "delete purge", Class: InfraApply, Why: "deletes cloud resources"}},
		Subs: []Program{
			{Names: "storage", Class: Egress, Why: "az storage moves data to or from cloud storage"},
			{Names: "account", Subs: []Program{{Names: "get-access-token", Class: EnvSecrets, Why: "prints a cloud access token"}}},
			{Names: "keyvault", Subs: []Program{{Names: "secret", Subs: []Program{{Names: "show download", Class: EnvSecrets, Why: "prints a stored secret"}}}}},
		}},
	{Names: "vault", Class: Infrastructure, Why: "controls a secrets store",
		Subs: []Program{{Names: "read kv token print", Class: EnvSecrets, Why: "vault prints stored secrets or tokens"}}},
	{Names: "azcopy", Class: Egress, Why: "azcopy copies data to or from cloud storage"},
}
