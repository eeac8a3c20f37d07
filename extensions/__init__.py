"""The template's Jinja extensions, each module one job.

- context.py: what copier.yml installs, and the order each render's context is built in.
- answers.py: the checks of the answers to copier.yml's questions.
- update.py: what `copier update` refuses to change.
- service.py: the service a render goes into: its recorded answers, its readiness
  for a resource.
- resource.py: a resource (the built-in projects, or one a team adds): its names,
  and what the templates write of it.
- resource_answers.py: the checks of a resource's questions, and the resource
  each render is given.
- naming.py: the snake_case names a team gives, checked, and those derived from them.
- field_types.py: the types a field may have, each with its validation, column
  and test values.
- field.py: one field of a resource, and the lines of Python it writes.
- field_spec.py: a resource's spec parsed into its fields, or refused with the reason.
- field_changes.py: a change of a resource's fields on update: recorded, checked,
  rendered once.
- field_change_migration.py: what a change of fields does to the table, as a migration.
- layout.py: where each component lives in each layout.
- contracts.py: the import-linter contracts that encode the standard for a layout.
- toolchain.py: the versions a service runs and is checked with.
- formatting.py: the rendered Python, formatted by ruff as it renders.
- messages.py: what Copier prints when it is done.
- template.py: the file copier.yml names; it loads this folder as a package.
"""
