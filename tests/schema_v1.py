"""The run store's tables as schema 1 wrote them (lab/runs/schema.py at 3d5f820), frozen for the migration test.

A v1 store made from these definitions is what a server upgraded to schema 2 finds on its disk.
"""

from sqlalchemy import Boolean, Column, Float, Integer, LargeBinary, MetaData, PrimaryKeyConstraint, String, Table, Text

metadata = MetaData()

meta = Table("relulab_meta", metadata,
             Column("key", String(64), primary_key=True),
             Column("value", Text, nullable=False))

runs = Table("relulab_runs", metadata,
             Column("id", String(32), primary_key=True),  # secrets.token_urlsafe: unguessable
             Column("owner", String(64), nullable=False, index=True),
             Column("class_id", String(32), index=True),
             Column("nickname", String(64)),
             Column("number", Integer, nullable=False),  # 1, 2, ... per owner: the "#3" of a label
             Column("group_name", String(64)),  # runs started together (a paired comparison)
             Column("config", Text, nullable=False),  # RunConfig.to_json()
             Column("executor", String(16), nullable=False, default="local"),  # local | ray | cli
             Column("status", String(16), nullable=False, index=True),
             Column("stop_requested", Boolean, nullable=False, default=False),
             Column("node", String(128)),
             Column("pid", Integer),
             Column("created", Float, nullable=False),
             Column("started", Float),
             Column("ended", Float),
             Column("heartbeat", Float),
             Column("step", Integer, nullable=False, default=0),
             Column("total_steps", Integer, nullable=False, default=0),
             Column("final_loss", Float),
             Column("train_acc", Float),
             Column("test_acc", Float),
             Column("seconds", Float),
             Column("grad_first", Float),  # fc1's gradient norm at the last logged step
             Column("grad_out", Float),  # the output layer's, same step: their ratio shows vanishing
             Column("message", Text, nullable=False, default=""),
             Column("last_seq", Integer, nullable=False, default=0))

events = Table("relulab_events", metadata,
               Column("run_id", String(32), nullable=False),
               Column("seq", Integer, nullable=False),
               Column("kind", String(24), nullable=False),
               Column("payload", Text, nullable=False),  # JSON text (NaN allowed: not a JSON column)
               PrimaryKeyConstraint("run_id", "seq"))

weights = Table("relulab_weights", metadata,
                Column("run_id", String(32), nullable=False),
                Column("kind", String(16), nullable=False),  # checkpoint | final
                Column("step", Integer, nullable=False),
                Column("blob", LargeBinary, nullable=False),  # torch.save of a plain state_dict
                Column("updated", Float, nullable=False),
                PrimaryKeyConstraint("run_id", "kind"))

owners = Table("relulab_owners", metadata,
               Column("token", String(64), primary_key=True),
               Column("seen", Float, nullable=False),
               Column("left_at", Float))  # set when its last tab closed; NULL while a tab is open

classes = Table("relulab_classes", metadata,
                Column("id", String(32), primary_key=True),
                Column("code", String(16), nullable=False, unique=True),
                Column("teacher_hash", String(128), nullable=False),
                Column("name", String(80), nullable=False, default=""),
                Column("created", Float, nullable=False),
                Column("closed", Float),
                Column("challenge", Text),  # RunConfig JSON the teacher sent, or NULL
                Column("max_students", Integer, nullable=False, default=40),
                Column("max_runs", Integer, nullable=False, default=10))

members = Table("relulab_members", metadata,
                Column("class_id", String(32), nullable=False),
                Column("owner", String(64), nullable=False),
                Column("nickname", String(64), nullable=False),
                Column("joined", Float, nullable=False),
                PrimaryKeyConstraint("class_id", "owner"))
